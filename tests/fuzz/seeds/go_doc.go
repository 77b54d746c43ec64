package main
// Doc for F.
func F() { s := `raw` }
