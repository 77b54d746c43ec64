# A file with a syntax error: what tree-sitter recovers is still found.
def fine(arg):
    """Still a docstring."""
    result = "kept before the error"
    return result

def broken(:
    value = 'after the error'
