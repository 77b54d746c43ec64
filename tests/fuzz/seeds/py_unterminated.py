def f(:
  """unterminated
