; python.scm - what TraWiC masks in Python.
(function_definition name: (identifier) @function.name)
(class_definition name: (identifier) @class.name)

(assignment left: (identifier) @variable.name)
(assignment left: (pattern_list (identifier) @variable.name))
(assignment left: (tuple_pattern (identifier) @variable.name))
(augmented_assignment left: (identifier) @variable.name)
(named_expression name: (identifier) @variable.name)

((string) @string
 (#trim! @string "^[rRbBuUfF]*(\"\"\"|'''|\"|')" "(\"\"\"|'''|\"|')$"))

((comment) @comment (#trim! @comment "^#+" ""))

(module . (comment)* . (expression_statement . (string) @docstring)
 (#trim! @docstring "^[rRbBuUfF]*(\"\"\"|'''|\"|')" "(\"\"\"|'''|\"|')$"))
(class_definition body: (block . (comment)* . (expression_statement . (string) @docstring))
 (#trim! @docstring "^[rRbBuUfF]*(\"\"\"|'''|\"|')" "(\"\"\"|'''|\"|')$"))
(function_definition body: (block . (comment)* . (expression_statement . (string) @docstring))
 (#trim! @docstring "^[rRbBuUfF]*(\"\"\"|'''|\"|')" "(\"\"\"|'''|\"|')$"))
