// Package store keeps values in memory.
//
// The comments right above package, func, type, const and var at the top
// level are doc comments (docstrings); all others are comments.
package store

import (
	"errors"
	"fmt"
	str "strings" // an import alias is not a candidate; the path is a string
)

// ErrMissing is returned for an unknown key.
var ErrMissing = errors.New("store: missing key")

// Kinds of values: one doc for the group; the names are variables.
const (
	KindInt  = iota // a comment inside the group: a comment
	KindText        // each name is its own candidate
	_               // the blank identifier is never a candidate
)

// Item is one stored value.  The word func in a doc is just text.
type Item struct {
	Key, Value string `json:"key"` // two fields and a raw-string tag
	hits       int
}

type Getter interface {
	Get(key string) (Item, error) // interface method: a function name
}

type Alias = Item // an alias: a class name.  This trailing comment and

// the doc below are one run of comments (blank lines are not in the tree),
// so these three lines and the next are all docstrings of Store.

// Store maps keys to items.
type Store struct{ items map[string]Item }

// Get looks key up; a multi-line signature follows.
func (s *Store) Get(
	key string,
) (item Item, err error) {
	item, ok := s.items[key] // ok is new; item is assigned again
	if !ok {
		return Item{}, fmt.Errorf("%w: %q", ErrMissing, key)
	}
	// a comment before a local var is not a doc comment
	var total int
	for k, v := range s.items {
		total += len(k) + len(v.Value)
	}
	s.items[key] = item // not a plain name: nothing
	_ = total
	return item, nil
}

func describe(x interface{}) string {
	switch t := x.(type) {
	case string:
		return `raw "quoted" ` + str.ToUpper(t) + "\tescaped\n"
	}
	return ""
}
