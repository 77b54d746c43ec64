; cpp.scm - what TraWiC masks in C++ (tree-sitter-cpp 0.23).
;
; Only names the programmer chose where they are declared or assigned:
; a reference (a call, a type use, a read) is never a candidate.
;   function  functions and methods, definitions and declarations alike,
;             also out of line (`int ns::Foo::get() const`, the last name
;             only) and function templates; function-like macros.  Not
;             constructors and destructors (they must repeat the class
;             name; they are told apart by having no return type), not
;             operators and conversion functions (no free name).
;   class     class, struct, union and enum (also `enum class`) names where
;             a body follows (not a forward declaration, not an explicit
;             specialization `struct hash<Foo> {...}`, whose name is not
;             new); `using X = ...;` and typedef names; concepts.
;             Namespaces are not candidates (no kind fits them).
;   variable  declarators of global, local and member variables however
;             they are wrapped (`*p`, `&r`, `a[3]`, `(*fp)(int)`, `= init`,
;             `{init}`), also `int Foo::count = 0;`; the names of structured
;             bindings (`auto [a, b] = ...`) and of range-for variables;
;             enumerators; object-like macros that have a value; a plain
;             identifier on the left of `=`, `+=`, ...  Not parameters, not
;             lambda captures, not `this->x = ...`.  A declaration whose
;             parentheses could also be a prototype (`std::string s(t);`)
;             is parsed as a function declaration and reported as one.
;   string    every string literal without quotes and prefix (L u u8 U),
;             each literal of `"a" "b"` on its own; raw strings without
;             `R"delim(` and `)delim"`; `#include "x.h"`; a macro whose
;             whole value is one literal (matched on the text of the
;             preprocessor body, as in c.scm).  Char literals are not strings.
;   docstring Doxygen comments, wherever they stand: `/** */` (not `/**/`,
;             not a `/*****` banner), `/*! */`, `///` (not `////`), `//!`,
;             and their `<` member forms.
;   comment   every other `//` and `/* */` comment, without its markers,
;             also a `//` comment at the end of a macro body.

; ---- functions -------------------------------------------------------------
; Every function declarator whose parent has a return type (`type:`):
; function_definition, declaration, field_declaration (methods declared in a
; class), through `*`/`&` of the return type.  Constructors and destructors
; have no `type:` and are left out on purpose.
(_ type: (_) declarator: (function_declarator declarator: [
  (identifier) @function.name
  (field_identifier) @function.name
  (template_function name: (identifier) @function.name)
  (qualified_identifier name: [
    (identifier) @function.name
    (template_function name: (identifier) @function.name)
    (qualified_identifier name: [
      (identifier) @function.name
      (qualified_identifier name: (identifier) @function.name)])])]))
(_ type: (_) declarator: [
  (_ declarator: (function_declarator declarator: [
    (identifier) @function.name
    (field_identifier) @function.name
    (qualified_identifier name: [
      (identifier) @function.name
      (qualified_identifier name: (identifier) @function.name)])]))
  (reference_declarator (function_declarator declarator: [
    (identifier) @function.name
    (field_identifier) @function.name
    (qualified_identifier name: [
      (identifier) @function.name
      (qualified_identifier name: (identifier) @function.name)])]))
  (_ declarator: (_ declarator: (function_declarator declarator: [
    (identifier) @function.name
    (field_identifier) @function.name
    (qualified_identifier name: (identifier) @function.name)])))])
; A function returning a function pointer: void (*signal(int, cb))(int);
(parenthesized_declarator (pointer_declarator declarator: (function_declarator
  declarator: (identifier) @function.name)))
(preproc_function_def name: (identifier) @function.name)

; ---- classes ---------------------------------------------------------------
(class_specifier name: (type_identifier) @class.name body: (_))
(struct_specifier name: (type_identifier) @class.name body: (_))
(union_specifier name: (type_identifier) @class.name body: (_))
(enum_specifier name: (type_identifier) @class.name body: (_))
(alias_declaration name: (type_identifier) @class.name)
(concept_definition name: (identifier) @class.name)

; typedef names, through the same declarator wrappers as variables (below).
; `typedef unsigned long size_t;` has a primitive_type as its declarator.
(type_definition declarator: [
  (type_identifier) @class.name
  (primitive_type) @class.name
  (_ declarator: [
    (type_identifier) @class.name
    (_ declarator: [
      (type_identifier) @class.name
      (_ declarator: (type_identifier) @class.name)])])])
(type_definition declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (type_identifier) @class.name
  (_ declarator: (type_identifier) @class.name)]))))

; ---- variables -------------------------------------------------------------
; The name of a declaration is reached from the declaration through
; `declarator:` fields only (init_declarator, pointer_declarator,
; array_declarator, function_declarator); values, array sizes and parameter
; lists hang off other fields and are never entered.  A query cannot recurse,
; so the chain is spelled out to four wrappers; `&` (reference_declarator) and
; structured bindings come last in a chain, a parenthesized declarator
; (function pointers, `(*a)[3]`) has no field name and gets its own patterns.
; Where the chain ends in a function's name, @function.name outranks this;
; `type:` is required so that a constructor declaration (`explicit Foo();`)
; is not taken for a variable.
(declaration type: (_) declarator: [
  (identifier) @variable.name
  (qualified_identifier name: (identifier) @variable.name)
  (reference_declarator (identifier) @variable.name)
  (structured_binding_declarator (identifier) @variable.name)
  (reference_declarator (structured_binding_declarator (identifier) @variable.name))
  (_ declarator: [
    (identifier) @variable.name
    (qualified_identifier name: (identifier) @variable.name)
    (reference_declarator (identifier) @variable.name)
    (structured_binding_declarator (identifier) @variable.name)
    (reference_declarator (structured_binding_declarator (identifier) @variable.name))
    (_ declarator: [
      (identifier) @variable.name
      (qualified_identifier name: (identifier) @variable.name)
      (_ declarator: [
        (identifier) @variable.name
        (_ declarator: (identifier) @variable.name)])])])])
(field_declaration type: (_) declarator: [
  (field_identifier) @variable.name
  (reference_declarator (field_identifier) @variable.name)
  (_ declarator: [
    (field_identifier) @variable.name
    (_ declarator: [
      (field_identifier) @variable.name
      (_ declarator: (field_identifier) @variable.name)])])])
(for_range_loop type: (_) declarator: [
  (identifier) @variable.name
  (reference_declarator (identifier) @variable.name)
  (structured_binding_declarator (identifier) @variable.name)
  (reference_declarator (structured_binding_declarator (identifier) @variable.name))
  (_ declarator: (identifier) @variable.name)])

; int (*fp)(void);  int (*fp)(void) = f;  char *(*fp)(void);  int (*a)[3];
; void (*handlers[4])(int);  void (*handlers[4])(int) = {...};
(declaration type: (_) declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (identifier) @variable.name
  (_ declarator: (identifier) @variable.name)]))))
(declaration type: (_) declarator: (_ declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (identifier) @variable.name
  (_ declarator: (identifier) @variable.name)])))))
(field_declaration type: (_) declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (field_identifier) @variable.name
  (_ declarator: (field_identifier) @variable.name)]))))
(field_declaration type: (_) declarator: (_ declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (field_identifier) @variable.name
  (_ declarator: (field_identifier) @variable.name)])))))

(enumerator name: (identifier) @variable.name)
(preproc_def name: (identifier) @variable.name value: (_))
(assignment_expression left: (identifier) @variable.name)

; ---- strings ---------------------------------------------------------------
((string_literal) @string
 (#trim! @string "^(L|u8|u|U)?\"" "\"$"))
((raw_string_literal) @string
 (#trim! @string "^(L|u8|u|U)?R\"[^(]*\\(" "\\)[^()\\\\[:space:]]*\"$"))
((preproc_arg) @string
 (#match? @string "^(L|u8|u|U)?\"([^\"\\\\]|\\\\.)*\"[[:space:]]*$")
 (#trim! @string "^(L|u8|u|U)?\"" "\"[[:space:]]*$"))

; ---- comments and docstrings -----------------------------------------------
; Block comments lose their markers and the ` * ` decoration of the first
; line, so the masked text starts with the first word; inner lines keep theirs.
((comment) @comment
 (#match? @comment "^//")
 (#trim! @comment "^//+" ""))
((comment) @comment
 (#match? @comment "^/\\*")
 (#trim! @comment "^/\\*+[[:space:]]*(\\*[[:space:]]+)?" "\\*+/$"))
; A `//` comment after a macro body is part of the preproc_arg token: its
; text starts after the first `//` that is not inside a string or char literal
; (a `///<` there is a docstring, below).
((preproc_arg) @comment
 (#match? @comment "^([^\"'/]|\"([^\"\\\\]|\\\\.)*\"|'([^'\\\\]|\\\\.)*'|/[^/\"'])*//")
 (#trim! @comment "^([^\"'/]|\"([^\"\\\\]|\\\\.)*\"|'([^'\\\\]|\\\\.)*'|/[^/\"'])*//+" ""))

((comment) @docstring
 (#match? @docstring "^(///([^/]|$)|//!)")
 (#trim! @docstring "^//[/!]<?" ""))
((preproc_arg) @docstring
 (#match? @docstring "^([^\"'/]|\"([^\"\\\\]|\\\\.)*\"|'([^'\\\\]|\\\\.)*'|/[^/\"'])*(///([^/]|$)|//!)")
 (#trim! @docstring "^([^\"'/]|\"([^\"\\\\]|\\\\.)*\"|'([^'\\\\]|\\\\.)*'|/[^/\"'])*//[/!]<?" ""))
((comment) @docstring
 (#match? @docstring "^/\\*(\\*([^*/]|$)|!)")
 (#trim! @docstring "^/\\*[*!]<?[[:space:]]*(\\*[[:space:]]+)?" "\\*+/$"))
