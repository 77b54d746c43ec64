// Copyright 2024 The Authors.  A licence header: tree-sitter keeps no
// blank lines, so this block and the directive below (go/doc would drop
// it) count as the package's doc comment.

//go:build linux

package worker

/* Pool runs jobs.  A block doc comment. */
type Pool struct {
	jobs chan func()
}

// Run starts n workers.  The body below does not compile (missing '}'
// and ')'), but what tree-sitter recovers is still found.
func (p *Pool) Run(n int) {
	for i := 0; i < n; i++ {
		go func() {
			for job := range p.jobs {
				job(
			}
		}()
	}
	select {
	case msg := <-results:
		fmt.Println("got", msg)
	}
}

// The parser's recovery puts the rest of the file into Run's body: `done`
// is still a variable, these lines are plain comments, and Stop is read as
// a func literal, so no function name is found on the last line.
var done = false
func Stop() { done = true }
