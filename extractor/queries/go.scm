; go.scm - what TraWiC masks in Go (tree-sitter-go 0.23).
;
; Only names the programmer chose where they are declared or assigned:
; a reference (a call, a type use, a read) is never a candidate, and
; neither is the blank identifier `_`.
;   function  functions, methods, and the methods of an interface type.
;   class     every type name: `type T struct{...}`, interfaces, named
;             types of any kind, generic types, aliases `type A = B`.
;             Package names, import aliases and labels are not candidates.
;   variable  `var` and `const` names (top level and local, grouped or
;             not); `:=` targets, also in `if`/`for`/`switch` headers,
;             `for k, v := range`, `switch t := x.(type)` and
;             `case v := <-ch`; a plain identifier on the left of `=`,
;             `+=`, ... (not `s.f = ...`, not `a[i] = ...`); struct fields.
;             Not parameters, receivers or results.
;   string    interpreted "..." and raw `...` literals without their quotes
;             (struct tags and import paths included).  Runes are not
;             strings.
;   docstring Go convention (go/doc): the comments directly before a
;             top-level declaration (package clause, func, method, type,
;             const, var; imports have no doc), each line its own
;             candidate.  Tree-sitter keeps no blank lines, so a block
;             that a blank line separates from the declaration (a licence
;             header above `package`), the trailing comment of the
;             previous top-level line, and directives (`//go:build`,
;             `//go:embed`) inside the run count too (go/doc would drop
;             them).  Docs of fields and of specs inside a group
;             `const ( ... )` are ordinary comments here.
;   comment   every other `//` and `/* */` comment, without its markers.

; ---- functions -------------------------------------------------------------
(function_declaration name: (identifier) @function.name)
(method_declaration name: (field_identifier) @function.name)
(method_elem name: (field_identifier) @function.name)

; ---- classes ---------------------------------------------------------------
(type_spec name: (type_identifier) @class.name)
(type_alias name: (type_identifier) @class.name)

; ---- variables -------------------------------------------------------------
; Each pattern yields one match per name, so #not-eq? tests each name.
((var_spec name: (identifier) @variable.name)
 (#not-eq? @variable.name "_"))
((const_spec name: (identifier) @variable.name)
 (#not-eq? @variable.name "_"))
((short_var_declaration left: (expression_list (identifier) @variable.name))
 (#not-eq? @variable.name "_"))
((assignment_statement left: (expression_list (identifier) @variable.name))
 (#not-eq? @variable.name "_"))
((range_clause left: (expression_list (identifier) @variable.name))
 (#not-eq? @variable.name "_"))
((type_switch_statement alias: (expression_list (identifier) @variable.name))
 (#not-eq? @variable.name "_"))
((receive_statement left: (expression_list (identifier) @variable.name))
 (#not-eq? @variable.name "_"))
((field_declaration name: (field_identifier) @variable.name)
 (#not-eq? @variable.name "_"))

; ---- strings ---------------------------------------------------------------
((interpreted_string_literal) @string
 (#trim! @string "^\"" "\"$"))
((raw_string_literal) @string
 (#trim! @string "^`" "`$"))

; ---- comments and docstrings -----------------------------------------------
; Block comments lose their markers and the ` * ` decoration of the first
; line, so the masked text starts with the first word.
((comment) @comment
 (#match? @comment "^//")
 (#trim! @comment "^//+" ""))
((comment) @comment
 (#match? @comment "^/\\*")
 (#trim! @comment "^/\\*+[[:space:]]*(\\*[[:space:]]+)?" "\\*+/$"))

; A run of comments is captured with `+` in one match.  Two things in the
; tree-sitter 0.20 runtime shape this:
; - `(comment) @doc . (comment)* . (decl)` (one match per line) is
;   superlinear in the length of the run: 320 comment lines took 1.1 s,
;   1280 lines 38 s.  The `+` form takes 12 ms for 1280 lines.
; - inside a parent, `(source_file (comment)+ @doc . (decl))` matches only
;   the first run of the file: the runtime drops an in-progress match whose
;   captures overlap an older one.  Anchoring the run to the sibling before
;   it, captured (@_prev), gives every run.
; Functions, methods and the package clause only occur at the top level;
; type, const and var declarations also occur in function bodies, so those
; runs must hang off source_file.  With `+`, a predicate would only test the
; first comment of a run, so directives are not filtered out (see above).
((comment)+ @docstring
 .
 [(package_clause) (function_declaration) (method_declaration)]
 (#trim! @docstring "^(//+|/\\*+[[:space:]]*(\\*[[:space:]]+)?)" "\\*+/$"))
(source_file
  [(package_clause) (import_declaration) (function_declaration)
   (method_declaration) (type_declaration) (const_declaration)
   (var_declaration)] @_prev
  .
  (comment)+ @docstring
  .
  [(type_declaration) (const_declaration) (var_declaration)]
  (#trim! @docstring "^(//+|/\\*+[[:space:]]*(\\*[[:space:]]+)?)" "\\*+/$"))
