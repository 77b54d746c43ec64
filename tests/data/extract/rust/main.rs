// main.rs - bindings: which are declarations and which are not.
use std::env;

struct Point { x: i32, y: i32 }

fn parse(arg: &str) -> Option<i32> { arg.parse().ok() }

fn main() {
    let args: Vec<String> = env::args().collect();
    let mut total = 0;
    let Point { x, y: ref py } = Point { x: 1, y: 2 }; // x and py bind
    let Some(first) = args.get(1) else { return };      // first; not Some
    let ((a, b), [c, ..]) = ((1, 2), [3, 4]);           // nested: a, b, c
    let double = |n: i32| n * 2;                         // closure: double only

    for arg in &args {              // a for binding is not a declaration
        if let Some(v) = parse(arg) { // nor is an if-let binding
            total += v;             // compound assignment: total
        }
    }
    match parse(first) {
        Some(n) => total = n,       // a match binding is not; total is
        None => {}
    }

    let raw = r#"C:\temp\"quoted" {x}"#;   // raw string: r#" and "# dropped
    let bytes = b"bytes\x00";              // byte string: b" dropped
    let ch = 'c';                          // char literal: not a string
    println!("{x} {} {py} {total} {raw:?}", double(a + b + c)); // one literal
    let _ = (bytes, ch, first);            // _ binds nothing
}
