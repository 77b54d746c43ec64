//! A tiny inventory crate.  Inner doc lines (`//!`) are docstrings.
//! The word struct in a doc is just text.

use std::collections::HashMap;

/// Largest stock kept per item: a const is a variable name.
pub const MAX_STOCK: u32 = 10_000;
static GREETING: &str = "hello \"inventory\"\n"; // escapes stay as written

/** A stock-keeping unit.  A block doc comment. */
#[derive(Debug, Clone)]
pub struct Sku {
    pub code: String, // fields are variables
    qty: u32,
}

/// What can go wrong.
pub enum Error {
    Missing(String),            // variants are variables, like C enumerators
    TooMany { max: u32 },       // a field of a struct variant
}

pub type Result<T> = std::result::Result<T, Error>;

pub trait Store {
    type Key;                                    // associated type: a class
    fn get(&self, key: &Self::Key) -> Option<&Sku>; // no body: a function
}

pub struct Inventory { items: HashMap<String, Sku> }

impl Store for Inventory {
    type Key = String;
    fn get(&self, key: &String) -> Option<&Sku> {
        self.items.get(key)
    }
}

impl Inventory {
    /// Adds `n` units; a multi-line signature.
    pub fn add(
        &mut self,
        code: &str,
        n: u32,
    ) -> Result<u32> {
        let entry = self.items.entry(code.to_string()).or_insert(Sku {
            code: code.to_string(),
            qty: 0,
        });
        let (old, new) = (entry.qty, entry.qty + n); // two bindings
        if new > MAX_STOCK {
            return Err(Error::TooMany { max: MAX_STOCK });
        }
        entry.qty = new; // a field, not a plain name: nothing
        Ok(old)
    }
}

//// Four slashes: a plain comment, not a doc.
/*** Three stars: a plain comment too. */
macro_rules! sku {
    ($code:expr) => { Sku { code: $code.into(), qty: 0 } };
}
