/*!
 * \file shapes.hpp
 * Qt-style doc block: a docstring.
 */
#pragma once
#include <cstddef>

#define SHAPES_API_VERSION 3   ///< a macro constant with a member doc

/**
 * Something with an area.  The word class in a doc is just text.
 */
template <typename T>
concept HasArea = requires(T t) { t.area(); };   // a concept: class name

typedef int (*compare_fn)(const void *, const void *);

struct Box;                  // forward declaration: no candidate
struct Box {
  std::size_t width, height;
  Box *next;
  static Box *make(std::size_t w,
                   std::size_t h);   // a static factory: function
};

inline const Box &first(const Box *boxes) { return boxes[0]; }
extern "C" int shapes_version(void);   // "C" is one character: dropped
