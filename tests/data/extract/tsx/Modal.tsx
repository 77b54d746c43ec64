// Modal.tsx - a class component, an enum, and a parse error near the end.
import * as React from "react";

export enum Size { Small = "sm", Large = "lg" }

export class Modal extends React.Component<{ size: Size }, { open: boolean }> {
  state = { open: false };
  close = (): void => this.setState({ open: false });

  render() {
    const { size } = this.props;
    return this.state.open
      ? <div className={"modal-" + size} role="dialog" onClick={this.close}>Close me</div>
      : null;
  }
}

export function broken(props: { title: string }) {
  const heading = "unclosed tag follows";
  // The <section> below is never closed: the parse has an ERROR node, and
  // the rest of that line is JSX text, not a comment.
  return <section><h1>{props.title}</h1>;   // lost
}

/** Still found after the error. */
export const footer = "footer text";
