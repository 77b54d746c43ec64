// widget.jsx - JSX: attribute values are strings, JSX text is not.
import React, { useState } from "react";

/** A counter button. */
export default function Counter({ start = 0 }) {
  const [count, setCount] = useState(start);
  const label = `Clicked ${count} times`;
  return (
    <div className="counter" data-kind='widget'>
      {/* a JSX comment: an ordinary comment */}
      <button onClick={() => setCount(count + 1)} title={"Add one"}>
        Plain JSX text, not a string: "class Foo"
      </button>
      <span>{label}</span>
    </div>
  );
}

export const Badge = ({ text }) => <em aria-label="badge">{text}</em>;
