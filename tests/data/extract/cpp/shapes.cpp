// shapes.cpp - classes, methods and what is deliberately left out.
#include <string>
#include <vector>
#include "shapes.hpp"

namespace geo {   // a namespace name is not a candidate

/// A shape with a name.
class Shape {
 public:
  explicit Shape(std::string name) : name_(std::move(name)) {}  // ctor: no
  virtual ~Shape() = default;                                  // dtor: no
  virtual double area() const = 0;   // method declaration: function
  const std::string &name() const { return name_; }   // returns a reference
  Shape &operator=(const Shape &) = default;          // operator: no

 private:
  std::string name_;
  static int count_;
};

int Shape::count_ = 0;   // out-of-line static member: variable count_

struct Circle : Shape {
  double r = 1.0, *rp = &r;   // two fields, one line
  Circle() : Shape("circle") {}
  double area() const override;
};

// Out of line: only the last name of Circle::area is a function.
double Circle::area() const { return 3.14159 * r * r; }

enum class Color : unsigned char { Red, Green = 4, Blue };
using Palette = std::vector<Color>;   // an alias: a class name

template <typename T>
T largest(const std::vector<T> &items,
          T fallback)   // a multi-line template signature
{
  T best = fallback;
  for (const auto &item : items)   // range-for variable: item
    if (item > best) best = item;  // assignment: best
  return best;
}

}  // namespace geo

int main() {
  auto [w, h] = std::pair<int, int>{3, 4};   // structured binding: w, h
  int &wr = w;
  auto sq = [factor = 2](int x) { return x * factor; };   // lambda: sq only
  const char *json = R"json({"class": "Shape", "n": 1})json";   // raw string
  std::string wide = u8"caf\u00e9" "!";   // u8 dropped; "!" is too short
  char c = '"';   // a char literal, not a string
  return sq(w) + wr + h + c + (json != nullptr) + wide.size();
}
