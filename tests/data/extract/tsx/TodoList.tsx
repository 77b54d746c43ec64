// TodoList.tsx - golden test for tsx.scm: TypeScript plus JSX.
import { useState, type FC } from 'react';

/** One entry of the list. */
interface Todo {
  id: number;
  text: string;
  done: boolean;
}

type Props = { initial: Todo[]; onDone?: (todo: Todo) => void };

/**
 * Renders the list.  JSX text below is not a string; attribute values are.
 */
export const TodoList: FC<Props> = ({ initial, onDone }) => {
  const [todos, setTodos] = useState<Todo[]>(initial);
  const pending = todos.filter((t) => !t.done).length;

  function toggle(id: number) {
    setTodos((prev) => prev.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  }

  return (
    <ul className="todo-list" aria-live='polite'>
      {/* one item per todo */}
      {todos.map((todo) => (
        <li key={todo.id} onClick={() => toggle(todo.id)} title={`#${todo.id}`}>
          {todo.done ? <s>{todo.text}</s> : todo.text} class Foo is plain text
        </li>
      ))}
      <li className={pending > 0 ? "busy" : "idle"}>{pending} left</li>
    </ul>
  );
};

// A generic arrow function in TSX needs the trailing comma.
export const first = <T,>(list: T[]): T | undefined => list[0];
