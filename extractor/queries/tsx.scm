; inherits: typescript
; tsx.scm - what TraWiC masks in TSX (tree-sitter-typescript 0.23, the
; `tsx` grammar: .tsx).  The tsx grammar extends the typescript one, so the
; query is typescript.scm, compiled first (the line above); JSX needs no
; pattern of its own: attribute values "..." are (string) nodes, so they
; are strings, JSX text is not a string, and `{/* ... */}` is a comment.
