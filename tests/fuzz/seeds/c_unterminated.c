/* never closed
int x = "abc
