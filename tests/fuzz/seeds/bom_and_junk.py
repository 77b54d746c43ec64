x = "bom"
ÿþ
