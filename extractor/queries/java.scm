; java.scm - what TraWiC masks in Java (tree-sitter-java 0.23).
;
; Only names the programmer chose where they are declared or assigned:
; a reference (a call, a type use, a read) is never a candidate.
;   function  methods (also abstract/interface ones, which have no body)
;             and annotation elements (`String value() default "";`).
;             Constructor names are not candidates: they must repeat the
;             class name, so the model cannot get them wrong by chance.
;   class     class, interface, enum, record and @interface names.
;   variable  declarators of fields, constants and locals; the variable
;             of an enhanced for, of try-with-resources and of a pattern
;             (`x instanceof Foo f`, `case Foo f ->`); enum constants;
;             a plain identifier on the left of `=`, `+=`, ... .  Not
;             parameters (method, lambda, catch, record components) and
;             not `this.x = ...` / `a[i] = ...` (no new name there).
;   string    every string literal, text blocks included, one candidate
;             per literal (a `\{...}` template keeps its literal whole);
;             char literals are not strings.
;   docstring `/** ... */` (not `/**/`, not a `/***` banner) and, from
;             Java 23 (JEP 467), `///` Markdown doc lines, wherever they
;             stand: the javadoc convention is lexical.
;   comment   every other `//` and `/* */` comment.

; ---- functions -------------------------------------------------------------
(method_declaration name: (identifier) @function.name)
(annotation_type_element_declaration name: (identifier) @function.name)

; ---- classes -----------------------------------------------------------------
(class_declaration name: (identifier) @class.name)
(interface_declaration name: (identifier) @class.name)
(enum_declaration name: (identifier) @class.name)
(record_declaration name: (identifier) @class.name)
(annotation_type_declaration name: (identifier) @class.name)

; ---- variables -------------------------------------------------------------
; field_declaration, constant_declaration (interfaces), local_variable_declaration
(variable_declarator name: (identifier) @variable.name)
(enhanced_for_statement name: (identifier) @variable.name)
(resource name: (identifier) @variable.name)
(instanceof_expression name: (identifier) @variable.name)
(type_pattern (identifier) @variable.name)
(record_pattern_component (identifier) @variable.name)
(enum_constant name: (identifier) @variable.name)
(assignment_expression left: (identifier) @variable.name)

; ---- strings -----------------------------------------------------------------
; A text block's masked span leaves out the whitespace next to its
; delimiters (Java strips that incidental whitespace too).
((string_literal) @string
 (#match? @string "^\"\"\"")
 (#trim! @string "^\"\"\"[[:space:]]*" "[[:space:]]*\"\"\"$"))
((string_literal) @string
 (#not-match? @string "^\"\"\"")
 (#trim! @string "^\"" "\"$"))

; ---- comments and doc comments -------------------------------------------
; The masked text of a block comment starts after `/*` or `/**` and, when
; the text begins on the next line, after that line's ` * ` decoration.
((block_comment) @docstring
 (#match? @docstring "^/\\*\\*[^*/]")
 (#trim! @docstring "^/\\*\\*([[:space:]]*\\*)?" "\\*+/$"))
((line_comment) @docstring
 (#match? @docstring "^///([^/]|$)")
 (#trim! @docstring "^///" ""))

((block_comment) @comment (#trim! @comment "^/\\*+([[:space:]]*\\*)?" "\\*+/$"))
((line_comment) @comment (#trim! @comment "^//+" ""))
