package org.example.geo;

import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;

/*****************************************
 * A banner: an ordinary comment, not a doc.
 *****************************************/

/** Every kind of type declaration: all are class names. */
sealed interface Shape permits Circle, Square {
    double PI_ISH = 3.14;            // interface constant: a variable
    double area();                   // abstract method: a function
}

record Circle(double radius) implements Shape {   // components are not variables
    public double area() { return PI_ISH * radius * radius; }
}

record Square(double side) implements Shape {
    Square {                          // compact constructor: not a function
        if (side < 0) throw new IllegalArgumentException("negative side");
    }
    public double area() { return side * side; }
}

enum Unit {
    METRIC("m"), IMPERIAL("ft");      // enum constants are variables

    private final String symbol;
    Unit(String symbol) { this.symbol = symbol; }
    String symbol() { return symbol; }
}

@interface Checked {
    String reason() default "unchecked"; // an annotation element: a function
}

final class Geometry {
    ////////////////////////////////////////
    static String name(Shape s) {
        return switch (s) {
            case Circle c -> "circle r=" + c.radius();    // pattern binding c
            case Square q -> "square";
        };
    }

    static long lines(String file) throws IOException {
        long n = 0;
        try (BufferedReader in = new BufferedReader(new FileReader(file))) {
            while (in.readLine() != null) n++;
        }
        Object o = file;
        if (o instanceof String str && !str.isEmpty()) {  /**/
            n += str.length();
        }
        Runnable r = () -> System.out.println("done");    // a variable, not a function
        Comparable<String> cmp = new Comparable<>() {
            @Override
            public int compareTo(String other) { return 0; }  // method of an anonymous class
        };
        return n;
    }
}
