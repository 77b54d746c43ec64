; tsx.scm - what TraWiC masks in TSX (tree-sitter-typescript 0.23, the
; `tsx` grammar: .tsx).  The same query as typescript.scm (keep them
; identical below this header); JSX attribute values "..." are strings,
; JSX text is not, `{/* ... */}` is a comment.
;
; Only names the programmer chose where they are declared or assigned:
; a reference (a call, a read, a type use, `new Foo`) is never a
; candidate.  On top of javascript.scm:
;   function  also declarations without a body: overload signatures,
;             `declare function`, interface and type-alias method
;             signatures, abstract methods.  Not `constructor`.
;   class     class (also abstract), interface, enum and type alias
;             names.  Namespaces/modules are not classes (like Java
;             packages they are not captured); type parameters neither.
;   variable  as in JS (bindings with destructuring, `=` targets,
;             for-of/in variables, class fields), plus the properties
;             of interfaces and type-alias object types (`name: string;`)
;             and enum members.  Not parameters, not even constructor
;             parameter properties (`constructor(private x: T)`).
;   string    '...', "..." (also as literal types and module names),
;             `templates` and template literal types, one candidate per
;             literal.
;   docstring `/** ... */` (not `/**/`, not a `/***` banner).
;   comment   every other comment; a `/// <reference ... />` directive
;             is an ordinary comment.

; ---- functions -------------------------------------------------------------
(function_declaration name: (identifier) @function.name)
(generator_function_declaration name: (identifier) @function.name)
(function_expression name: (identifier) @function.name)
(generator_function name: (identifier) @function.name)

; a JS private name `#x` is masked without its `#`
((method_definition name: [(property_identifier) (private_property_identifier)] @function.name)
 (#not-eq? @function.name "constructor")
 (#trim! @function.name "^#" ""))

(variable_declarator
  name: (identifier) @function.name
  value: [(function_expression) (generator_function) (arrow_function)])
; `module.exports = function () {}` names nothing
((assignment_expression
  left: [(identifier) @function.name
         (member_expression property: (property_identifier) @function.name)]
  right: [(function_expression) (generator_function) (arrow_function)])
 (#not-eq? @function.name "exports"))
(pair
  key: (property_identifier) @function.name
  value: [(function_expression) (generator_function) (arrow_function)])
((public_field_definition
  name: [(property_identifier) (private_property_identifier)] @function.name
  value: [(function_expression) (generator_function) (arrow_function)])
 (#trim! @function.name "^#" ""))

; declarations without a body: overloads, `declare function`, methods of
; interfaces, declared classes and type-alias object types, abstract methods
(function_signature name: (identifier) @function.name)
; (members of an object type written inline in an annotation, e.g.
; `f(opts: {verbose: boolean})`, belong to a type expression: not captured)
(class_body (method_signature name: [(property_identifier) (private_property_identifier)] @function.name))
(interface_body (method_signature name: [(property_identifier) (private_property_identifier)] @function.name))
(type_alias_declaration
  value: (object_type (method_signature name: [(property_identifier) (private_property_identifier)] @function.name)))
(abstract_method_signature name: [(property_identifier) (private_property_identifier)] @function.name)

; ---- classes -----------------------------------------------------------------
(class_declaration name: (type_identifier) @class.name)
(abstract_class_declaration name: (type_identifier) @class.name)
(class name: (type_identifier) @class.name)
(variable_declarator name: (identifier) @class.name value: (class))
(interface_declaration name: (type_identifier) @class.name)
(enum_declaration name: (identifier) @class.name)
(type_alias_declaration name: (type_identifier) @class.name)

; ---- variables -------------------------------------------------------------
; A binding position holds an identifier or a destructuring pattern; the
; three patterns below differ only in the node that holds it (the same
; patterns in a parameter list are parameters, hence no generic rule).
(variable_declarator
  name: [
    (identifier) @variable.name
    (object_pattern [
      (shorthand_property_identifier_pattern) @variable.name
      (pair_pattern value: (identifier) @variable.name)
      (pair_pattern value: (assignment_pattern left: (identifier) @variable.name))
      (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
      (rest_pattern (identifier) @variable.name)
      (pair_pattern value: [
        (object_pattern [
          (shorthand_property_identifier_pattern) @variable.name
          (pair_pattern value: (identifier) @variable.name)
          (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
          (rest_pattern (identifier) @variable.name)])
        (array_pattern [
          (identifier) @variable.name
          (assignment_pattern left: (identifier) @variable.name)
          (rest_pattern (identifier) @variable.name)])])])
    (array_pattern [
      (identifier) @variable.name
      (assignment_pattern left: (identifier) @variable.name)
      (rest_pattern (identifier) @variable.name)
      (object_pattern [
        (shorthand_property_identifier_pattern) @variable.name
        (pair_pattern value: (identifier) @variable.name)
        (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
        (rest_pattern (identifier) @variable.name)])
      (array_pattern [
        (identifier) @variable.name
        (assignment_pattern left: (identifier) @variable.name)
        (rest_pattern (identifier) @variable.name)])])])

(assignment_expression
  left: [
    (identifier) @variable.name
    (object_pattern [
      (shorthand_property_identifier_pattern) @variable.name
      (pair_pattern value: (identifier) @variable.name)
      (pair_pattern value: (assignment_pattern left: (identifier) @variable.name))
      (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
      (rest_pattern (identifier) @variable.name)
      (pair_pattern value: [
        (object_pattern [
          (shorthand_property_identifier_pattern) @variable.name
          (pair_pattern value: (identifier) @variable.name)
          (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
          (rest_pattern (identifier) @variable.name)])
        (array_pattern [
          (identifier) @variable.name
          (assignment_pattern left: (identifier) @variable.name)
          (rest_pattern (identifier) @variable.name)])])])
    (array_pattern [
      (identifier) @variable.name
      (assignment_pattern left: (identifier) @variable.name)
      (rest_pattern (identifier) @variable.name)
      (object_pattern [
        (shorthand_property_identifier_pattern) @variable.name
        (pair_pattern value: (identifier) @variable.name)
        (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
        (rest_pattern (identifier) @variable.name)])
      (array_pattern [
        (identifier) @variable.name
        (assignment_pattern left: (identifier) @variable.name)
        (rest_pattern (identifier) @variable.name)])])])

(for_in_statement
  left: [
    (identifier) @variable.name
    (object_pattern [
      (shorthand_property_identifier_pattern) @variable.name
      (pair_pattern value: (identifier) @variable.name)
      (pair_pattern value: (assignment_pattern left: (identifier) @variable.name))
      (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
      (rest_pattern (identifier) @variable.name)
      (pair_pattern value: [
        (object_pattern [
          (shorthand_property_identifier_pattern) @variable.name
          (pair_pattern value: (identifier) @variable.name)
          (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
          (rest_pattern (identifier) @variable.name)])
        (array_pattern [
          (identifier) @variable.name
          (assignment_pattern left: (identifier) @variable.name)
          (rest_pattern (identifier) @variable.name)])])])
    (array_pattern [
      (identifier) @variable.name
      (assignment_pattern left: (identifier) @variable.name)
      (rest_pattern (identifier) @variable.name)
      (object_pattern [
        (shorthand_property_identifier_pattern) @variable.name
        (pair_pattern value: (identifier) @variable.name)
        (object_assignment_pattern left: (shorthand_property_identifier_pattern) @variable.name)
        (rest_pattern (identifier) @variable.name)])
      (array_pattern [
        (identifier) @variable.name
        (assignment_pattern left: (identifier) @variable.name)
        (rest_pattern (identifier) @variable.name)])])])

(augmented_assignment_expression left: (identifier) @variable.name)

((public_field_definition name: [(property_identifier) (private_property_identifier)] @variable.name)
 (#trim! @variable.name "^#" ""))

; members of interfaces and of an object type named by a type alias
; (not of inline object types), enum members
(interface_body (property_signature name: [(property_identifier) (private_property_identifier)] @variable.name))
(type_alias_declaration
  value: (object_type (property_signature name: [(property_identifier) (private_property_identifier)] @variable.name)))
(enum_body name: (property_identifier) @variable.name)
(enum_assignment name: (property_identifier) @variable.name)

; ---- strings -----------------------------------------------------------------
((string) @string (#trim! @string "^[\"']" "[\"']$"))
((template_string) @string (#trim! @string "^`" "`$"))
; a template literal type, `prefix-${string}`, is written as a template
((template_literal_type) @string (#trim! @string "^`" "`$"))

; ---- comments and doc comments -------------------------------------------
; The masked text of a block comment starts after `/*` or `/**` and, when
; the text begins on the next line, after that line's ` * ` decoration.
((comment) @docstring
 (#match? @docstring "^/\\*\\*[^*/]")
 (#trim! @docstring "^/\\*\\*([[:space:]]*\\*)?" "\\*+/$"))

((comment) @comment
 (#match? @comment "^//")
 (#trim! @comment "^//+" ""))
((comment) @comment
 (#match? @comment "^/\\*")
 (#trim! @comment "^/\\*+([[:space:]]*\\*)?" "\\*+/$"))
