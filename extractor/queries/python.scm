; python.scm - what TraWiC masks in Python.
;
; Names: function and class definitions; variables are assignment and
; binding targets (=, augmented, :=, for targets, `with ... as x`), never
; references or parameters.  Dunder method names (__init__, __eq__ ...)
; are fixed by the language and carry no signal, so they are left out.

((function_definition name: (identifier) @function.name)
 (#not-match? @function.name "^__[a-zA-Z0-9_]+__$"))
(class_definition name: (identifier) @class.name)

(assignment left: (identifier) @variable.name)
(assignment left: (pattern_list (identifier) @variable.name))
(assignment left: (tuple_pattern (identifier) @variable.name))
(augmented_assignment left: (identifier) @variable.name)
(named_expression name: (identifier) @variable.name)
(for_statement left: (identifier) @variable.name)
(for_statement left: (pattern_list (identifier) @variable.name))
(for_statement left: (tuple_pattern (identifier) @variable.name))
(as_pattern alias: (as_pattern_target (identifier) @variable.name))

; a string is masked without its prefix and quotes; an f-string is one
; string, its {interpolations} included
((string) @string
 (#trim! @string "^[rRbBuUfF]*(\"\"\"|'''|\"|')" "(\"\"\"|'''|\"|')$"))

; a #! line is an interpreter directive, not prose
((comment) @comment (#not-match? @comment "^#!") (#trim! @comment "^#+" ""))

; a docstring is the first statement of a module, class or function body,
; comments before it allowed (a plain `.` anchor would stop at them)
(module . (comment)* . (expression_statement . (string) @docstring)
 (#trim! @docstring "^[rRbBuUfF]*(\"\"\"|'''|\"|')" "(\"\"\"|'''|\"|')$"))
(class_definition body: (block . (comment)* . (expression_statement . (string) @docstring))
 (#trim! @docstring "^[rRbBuUfF]*(\"\"\"|'''|\"|')" "(\"\"\"|'''|\"|')$"))
(function_definition body: (block . (comment)* . (expression_statement . (string) @docstring))
 (#trim! @docstring "^[rRbBuUfF]*(\"\"\"|'''|\"|')" "(\"\"\"|'''|\"|')$"))
