; javascript.scm - what TraWiC masks in JavaScript and JSX
; (tree-sitter-javascript 0.23; .js .mjs .cjs .jsx).
;
; Only names the programmer chose where they are declared or assigned:
; a reference (a call, a read, `new Foo`) is never a candidate.
;   function  function/generator declarations and named function
;             expressions; methods (class and object literal, getters,
;             setters, `#private`, masked without the `#`) except
;             `constructor`, whose name the language fixes; a name
;             bound to a function: `const f = () => {}`,
;             `f = function () {}`, `Foo.prototype.f = function () {}`,
;             `{ f: () => {} }`, class field `f = () => {}`; not
;             `module.exports = function () {}`.
;   class     class declarations and named class expressions, and a
;             `const Foo = class {}` binding.
;   variable  `var`/`let`/`const` bindings, destructuring included (two
;             levels of nesting: `const {a, b: [c]} = o`); the left side
;             of `=`, `+=`, ... when it is a plain identifier or a
;             destructuring pattern; the `for (... of/in ...)` variable;
;             class fields.  Not parameters (their destructuring
;             neither), not `obj.x = 1` / `this.x = 1`, not object keys,
;             not imports.
;   string    every '...' and "..." literal (JSX attribute values
;             included) and every `template` literal, one candidate per
;             literal, `${...}` substitutions and all; a string inside a
;             substitution is a candidate of its own.  JSX text and
;             regular expressions are not strings.
;   docstring a JSDoc comment `/** ... */` (not `/**/`, not a `/***`
;             banner), wherever it stands.
;   comment   every other `//` and `/* */` comment (JSX `{/* */}` too).
;
; javascript.scm, typescript.scm and tsx.scm share their JS part; keep
; them in step.

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
((field_definition
  property: [(property_identifier) (private_property_identifier)] @function.name
  value: [(function_expression) (generator_function) (arrow_function)])
 (#trim! @function.name "^#" ""))

; ---- classes -----------------------------------------------------------------
(class_declaration name: (identifier) @class.name)
(class name: (identifier) @class.name)
(variable_declarator name: (identifier) @class.name value: (class))

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

((field_definition property: [(property_identifier) (private_property_identifier)] @variable.name)
 (#trim! @variable.name "^#" ""))

; ---- strings -----------------------------------------------------------------
((string) @string (#trim! @string "^[\"']" "[\"']$"))
((template_string) @string (#trim! @string "^`" "`$"))

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
