// broken.js - a syntax error: tree-sitter still recovers what it can.
const ok = "before the error";

function good(a) {
  return a + 1;
}

function bad(x {          // missing ')': the parse has an ERROR node
  let inside = 'still found?';
  return inside;
}

/** After the error. */
function recovered() {
  const after = "after the error";
  return after;
}
