/*
 * Inventory.java - golden test for java.scm.  Expected: a class, fields
 * (two declarators on one line = two variables), methods with a
 * multi-line signature, doc comments vs ordinary comments, strings with
 * escapes and a text block.  The constructor name is NOT a function.
 */
package org.example.shop;

import java.util.ArrayList;
import java.util.List;

/**
 * A small inventory of items; the word class here is not a class.
 */
public class Inventory {
    private final List<String> names = new ArrayList<>();
    private int count, capacity;  // variables: count AND capacity

    /// Markdown doc comment (Java 23): a docstring.
    static final String HEADER = """
        name\tqty
        ----
        """;

    public Inventory(int capacity) {  // constructor: no function_name
        this.capacity = capacity;     // a field access: no variable
    }

    /** Adds an item. */
    public boolean add(String name) {
        if (count >= capacity) {
            return false;
        }
        names.add(name);
        count += 1;                   // a plain assignment target
        return true;
    }

    // A multi-line signature: the name is found on its own line.
    public
    <T extends Comparable<T>>
    List<T>
    sortedCopy(
            List<T> items,
            boolean reverse) {
        List<T> copy = new ArrayList<>(items);
        copy.sort(null);
        return copy;
    }

    public String describe() {
        String quote = "say \"class Foo\" twice", path = "C:\\tmp"; // two strings, two variables
        for (String n : names) {
            System.out.println(n + "::" + quote);
        }
        return String.format("%d/%d", count, capacity) + path;
    }

    /* An ordinary block comment, not a doc. */
    static class Entry {
        String label = "x";           // one character: trivial, dropped
    }
}
