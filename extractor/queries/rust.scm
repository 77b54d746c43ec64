; rust.scm - what TraWiC masks in Rust (tree-sitter-rust 0.23).
;
; Only names the programmer chose where they are declared or assigned:
; a reference (a call, a path, a type use, a read) is never a candidate.
;   function  `fn` items: free functions, methods, associated functions,
;             trait methods without a body and `extern` functions;
;             `macro_rules!` names.
;   class     struct, enum, union and trait names; type aliases (`type X =
;             ...;`, also in an impl) and associated types of a trait.
;             Modules and impl blocks are not candidates (no new type name).
;   variable  the names a `let` binds, however deep in its pattern
;             (`let (a, mut b) = ...`, `let Point { x, y: py } = ...`,
;             `let Some(v) = o else {...}`; not the `Some`/`Point` paths),
;             spelled out to three levels of nesting; `const` and `static`
;             items; struct, union and enum-variant fields; enum variants
;             (like C's enumerators); a plain identifier on the left of
;             `=`, `+=`, ...  Not parameters (functions, closures), and not
;             the bindings of `if let`, `while let`, `match` arms or `for`
;             (conditions and loops, not declarations).
;   string    "..." and byte/C strings b"..." c"..." without quotes and
;             prefix, raw strings r#"..."# without `r#"` and `"#`, format
;             strings in macros (`println!("{x}")`) as one literal.  Char
;             and byte literals are not strings.
;   docstring outer and inner doc comments: `///`, `//!`, `/** */`,
;             `/*! */` (the grammar tells them; `////` and `/***` are not
;             doc).  `#[doc = "..."]` attributes stay strings.
;   comment   every other `//` and `/* */` comment, without its markers.

; ---- functions -------------------------------------------------------------
(function_item name: (identifier) @function.name)
(function_signature_item name: (identifier) @function.name)
(macro_definition name: (identifier) @function.name)

; ---- classes ---------------------------------------------------------------
(struct_item name: (type_identifier) @class.name)
(enum_item name: (type_identifier) @class.name)
(union_item name: (type_identifier) @class.name)
(trait_item name: (type_identifier) @class.name)
(type_item name: (type_identifier) @class.name)
(associated_type name: (type_identifier) @class.name)

; ---- variables -------------------------------------------------------------
; A `let` pattern nests; a query cannot recurse, so the binding is looked
; for in a known container (tuple, slice, `ref`, `mut`, `&`, `x @ p`, `a | b`,
; a tuple struct after its path, a struct pattern's field) at most two
; wildcard levels below the pattern.  The path of a tuple struct pattern is
; its `type:` field, matched first, so `Some` is skipped; a struct pattern's
; path is a type_identifier and never an identifier.
(let_declaration pattern: (identifier) @variable.name)
(let_declaration pattern: [
  (tuple_pattern (identifier) @variable.name)
  (slice_pattern (identifier) @variable.name)
  (ref_pattern (identifier) @variable.name)
  (mut_pattern (identifier) @variable.name)
  (reference_pattern (identifier) @variable.name)
  (captured_pattern . (identifier) @variable.name)
  (or_pattern (identifier) @variable.name)
  (tuple_struct_pattern type: (_) (identifier) @variable.name)
  (field_pattern [(identifier) (shorthand_field_identifier)] @variable.name)])
(let_declaration pattern: (_ [
  (tuple_pattern (identifier) @variable.name)
  (slice_pattern (identifier) @variable.name)
  (ref_pattern (identifier) @variable.name)
  (mut_pattern (identifier) @variable.name)
  (reference_pattern (identifier) @variable.name)
  (captured_pattern . (identifier) @variable.name)
  (or_pattern (identifier) @variable.name)
  (tuple_struct_pattern type: (_) (identifier) @variable.name)
  (field_pattern [(identifier) (shorthand_field_identifier)] @variable.name)]))
(let_declaration pattern: (_ (_ [
  (tuple_pattern (identifier) @variable.name)
  (slice_pattern (identifier) @variable.name)
  (ref_pattern (identifier) @variable.name)
  (mut_pattern (identifier) @variable.name)
  (reference_pattern (identifier) @variable.name)
  (captured_pattern . (identifier) @variable.name)
  (or_pattern (identifier) @variable.name)
  (tuple_struct_pattern type: (_) (identifier) @variable.name)
  (field_pattern [(identifier) (shorthand_field_identifier)] @variable.name)])))

(const_item name: (identifier) @variable.name)
(static_item name: (identifier) @variable.name)
(field_declaration name: (field_identifier) @variable.name)
(enum_variant name: (identifier) @variable.name)
(assignment_expression left: (identifier) @variable.name)
(compound_assignment_expr left: (identifier) @variable.name)

; ---- strings ---------------------------------------------------------------
((string_literal) @string
 (#trim! @string "^[bc]?\"" "\"$"))
((raw_string_literal) @string
 (#trim! @string "^[bc]?r#*\"" "\"#*$"))

; ---- comments and docstrings -----------------------------------------------
; Block comments lose their markers and the ` * ` decoration of the first
; line, so the masked text starts with the first word.
((line_comment) @comment
 (#trim! @comment "^//+" ""))
((block_comment) @comment
 (#trim! @comment "^/\\*+[[:space:]]*(\\*[[:space:]]+)?" "\\*+/$"))

((line_comment doc: (doc_comment)) @docstring
 (#trim! @docstring "^//[/!]" ""))
((block_comment doc: (doc_comment)) @docstring
 (#trim! @docstring "^/\\*[*!][[:space:]]*(\\*[[:space:]]+)?" "\\*+/$"))
