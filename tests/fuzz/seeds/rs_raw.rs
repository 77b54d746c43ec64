fn main() { let r = r##"raw "# str"##; /// doc
}
