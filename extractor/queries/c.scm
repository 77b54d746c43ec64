; c.scm - what TraWiC masks in C (tree-sitter-c 0.23).
;
; Only names the programmer chose where they are declared or assigned:
; a reference (a call, a type use, a read) is never a candidate.
;   function  the name in every function declarator: definitions and
;             prototypes alike (`char *f(void);` and `int (max)(int, int)`
;             too), and function-like macros (`#define MAX(a, b) ...`).
;   class     struct, union and enum names where a body follows (not
;             `struct foo *p;` nor a forward `struct foo;`), and typedef
;             names (`typedef struct x X, *XP;`, `typedef void (*cb_t)(int);`).
;   variable  declarators of global and local variables and of struct
;             fields, however they are wrapped (`*p`, `a[3]`, `(*fp)(int)`,
;             `= init`); enumerators; object-like macros that have a value
;             (`#define N 10`; a bare `#define FOO_H` guard or flag is not
;             a candidate); a plain identifier on the left of `=`, `+=`, ...
;             Not parameters, and not `p->x = ...` / `a[i] = ...`.
;   string    every string literal without its quotes and prefix (L u u8 U),
;             each literal of `"a" "b"` on its own; the path of
;             `#include "x.h"`; a macro whose whole value is one literal
;             (`#define VERSION "1.0"`, also `#error "..."`: a preprocessor
;             body is one token, so this is matched on its text; `"a" "b"`
;             or a literal followed by a `//` comment there is no string).
;             Char literals are not strings.
;   docstring Doxygen comments, wherever they stand: `/** */` (not `/**/`,
;             not a `/*****` banner), `/*! */`, `///` (not `////`), `//!`,
;             and their `<` member forms.
;   comment   every other `//` and `/* */` comment, without its markers,
;             also a `//` comment at the end of a macro body (the grammar
;             leaves it inside the body's token).

; ---- functions -------------------------------------------------------------
; A function_declarator whose declarator is a bare name declares a function;
; `(*fp)(int)` (a parenthesized pointer) declares a variable instead.  A
; parameter of function type (`int cmp(const void *)` in a parameter list)
; is rare and counted too.
(function_declarator declarator: (identifier) @function.name)
(function_declarator declarator: (parenthesized_declarator (identifier) @function.name))
(preproc_function_def name: (identifier) @function.name)

; ---- classes ---------------------------------------------------------------
(struct_specifier name: (type_identifier) @class.name body: (_))
(union_specifier name: (type_identifier) @class.name body: (_))
(enum_specifier name: (type_identifier) @class.name body: (_))

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
; so the chain is spelled out to four wrappers; a parenthesized declarator
; (function pointers, `(*a)[3]`) has no field name and gets its own patterns.
; Where the chain ends in a function's name, @function.name outranks this.
(declaration declarator: [
  (identifier) @variable.name
  (_ declarator: [
    (identifier) @variable.name
    (_ declarator: [
      (identifier) @variable.name
      (_ declarator: [
        (identifier) @variable.name
        (_ declarator: (identifier) @variable.name)])])])])
(field_declaration declarator: [
  (field_identifier) @variable.name
  (_ declarator: [
    (field_identifier) @variable.name
    (_ declarator: [
      (field_identifier) @variable.name
      (_ declarator: (field_identifier) @variable.name)])])])

; int (*fp)(void);  int (*fp)(void) = f;  char *(*fp)(void);  int (*a)[3];
; void (*handlers[4])(int);  void (*handlers[4])(int) = {...};
(declaration declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (identifier) @variable.name
  (_ declarator: (identifier) @variable.name)]))))
(declaration declarator: (_ declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (identifier) @variable.name
  (_ declarator: (identifier) @variable.name)])))))
(field_declaration declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (field_identifier) @variable.name
  (_ declarator: (field_identifier) @variable.name)]))))
(field_declaration declarator: (_ declarator: (_ declarator: (parenthesized_declarator (_ declarator: [
  (field_identifier) @variable.name
  (_ declarator: (field_identifier) @variable.name)])))))

(enumerator name: (identifier) @variable.name)
(preproc_def name: (identifier) @variable.name value: (_))
(assignment_expression left: (identifier) @variable.name)

; ---- strings ---------------------------------------------------------------
((string_literal) @string
 (#trim! @string "^(L|u8|u|U)?\"" "\"$"))
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
