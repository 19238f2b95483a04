package eval

import (
	"slices"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// builtins.sort: a stable sort that makes the same comparisons, in the
// same order, as the std::stable_sort of GCC's libstdc++ that Nix 2.8 is
// built with. For a comparator that is a strict weak ordering every stable
// sort gives the same result; copying the algorithm also gives Nix's
// result for comparators that are not (such as `a: b: a <= b`), and the
// same calls of a comparator with side effects (trace) or errors.

func init() {
	register(&Builtin{Name: "sort", Arity: 2, Fn: builtinSort})
}

func builtinSort(c Call) Value {
	l := c.listMsg(c.Args[1], "while evaluating the second argument passed to builtins.sort")
	if len(l.elems) == 0 {
		return l
	}
	f := c.funcMsg(c.Args[0], "while evaluating the first argument passed to builtins.sort")
	ev := c.Ev
	elems := make([]Value, len(l.elems))
	for i, e := range l.elems {
		elems[i] = ev.force(e)
	}
	if isBuiltin(f, "lessThan") {
		// lessThan is a strict weak ordering on integers and on strings,
		// where any stable sort is libstdc++'s: sort those directly.
		if sortSimple(elems) {
			return &List{elems: elems}
		}
		const what = "while evaluating the ordering function passed to builtins.sort"
		s := stableSorter{less: func(a, b Value) bool {
			ev.pushFrame(msgFrame(syntax.NoPos, what))
			r := ev.lessThan(a, b, syntax.NoPos)
			ev.popFrame()
			return r
		}}
		s.sort(elems)
		return &List{elems: elems}
	}
	const what = "while evaluating the return value of the sorting function passed to builtins.sort"
	s := stableSorter{less: func(a, b Value) bool {
		r := c.call2(f, a, b)
		if b, ok := r.(Bool); ok {
			return bool(b)
		}
		return c.boolMsg(r, what)
	}}
	s.sort(elems)
	return &List{elems: elems}
}

// sortSimple sorts elems in place if they are all integers or all strings
// and reports whether it did.
func sortSimple(elems []Value) bool {
	switch elems[0].(type) {
	case Int:
		for _, e := range elems {
			if _, ok := e.(Int); !ok {
				return false
			}
		}
		slices.SortStableFunc(elems, func(a, b Value) int {
			x, y := a.(Int), b.(Int)
			if x < y {
				return -1
			}
			if x > y {
				return 1
			}
			return 0
		})
		return true
	case *String:
		for _, e := range elems {
			if _, ok := e.(*String); !ok {
				return false
			}
		}
		slices.SortStableFunc(elems, func(a, b Value) int {
			return strings.Compare(a.(*String).s, b.(*String).s)
		})
		return true
	}
	return false
}

// stableSorter is libstdc++'s std::stable_sort (GCC 12) with a buffer of
// half the length, which it always gets for lists Nix can hold.
type stableSorter struct {
	less func(a, b Value) bool
	buf  []Value
}

// chunkSize is libstdc++'s _S_chunk_size: runs sorted by insertion first.
const chunkSize = 7

// sort is __stable_sort followed by __stable_sort_adaptive: each half is
// sorted with the buffer, then the halves are merged.
func (s *stableSorter) sort(a []Value) {
	n := len(a)
	if n == 0 {
		return
	}
	s.buf = make([]Value, (n+1)/2)
	mid := (n + 1) / 2
	s.mergeSortWithBuffer(a[:mid])
	s.mergeSortWithBuffer(a[mid:])
	s.mergeAdaptive(a, mid)
}

// mergeAdaptive merges the sorted runs a[:mid] and a[mid:] through the
// buffer (__merge_adaptive; the buffer always holds the shorter run, as
// mid is (n+1)/2).
func (s *stableSorter) mergeAdaptive(a []Value, mid int) {
	len1, len2 := mid, len(a)-mid
	if len1 <= len2 {
		// __move_merge_adaptive: the first run moves to the buffer and is
		// merged forwards with the second.
		buf := s.buf[:len1]
		copy(buf, a[:mid])
		i, j, r := 0, mid, 0
		for i < len1 && j < len(a) {
			if s.less(a[j], buf[i]) {
				a[r] = a[j]
				j++
			} else {
				a[r] = buf[i]
				i++
			}
			r++
		}
		copy(a[r:], buf[i:])
		return
	}
	// __move_merge_adaptive_backward: the second run moves to the buffer
	// and the two are merged from the end.
	buf := s.buf[:len2]
	copy(buf, a[mid:])
	if len2 == 0 {
		return
	}
	l1, l2, r := mid-1, len2-1, len(a)
	for {
		if s.less(buf[l2], a[l1]) {
			r--
			a[r] = a[l1]
			if l1 == 0 {
				copy(a[r-(l2+1):r], buf[:l2+1])
				return
			}
			l1--
		} else {
			r--
			a[r] = buf[l2]
			if l2 == 0 {
				return
			}
			l2--
		}
	}
}

// mergeSortWithBuffer is __merge_sort_with_buffer: insertion-sorted chunks
// of 7, then merge passes alternating between a and the buffer.
func (s *stableSorter) mergeSortWithBuffer(a []Value) {
	n := len(a)
	buf := s.buf[:n]
	step := chunkSize
	i := 0
	for ; n-i >= step; i += step {
		s.insertionSort(a[i : i+step])
	}
	s.insertionSort(a[i:])
	for step < n {
		s.mergeSortLoop(a, buf, step)
		step *= 2
		s.mergeSortLoop(buf, a, step)
		step *= 2
	}
}

// mergeSortLoop is __merge_sort_loop: merges adjacent runs of step
// elements of src into dst.
func (s *stableSorter) mergeSortLoop(src, dst []Value, step int) {
	two := 2 * step
	i, r := 0, 0
	for len(src)-i >= two {
		r = s.moveMerge(src[i:i+step], src[i+step:i+two], dst, r)
		i += two
	}
	step = min(len(src)-i, step)
	s.moveMerge(src[i:i+step], src[i+step:], dst, r)
}

// moveMerge is __move_merge: x and y merged into dst from index r; it
// returns the index after the last element written.
func (s *stableSorter) moveMerge(x, y, dst []Value, r int) int {
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		if s.less(y[j], x[i]) {
			dst[r] = y[j]
			j++
		} else {
			dst[r] = x[i]
			i++
		}
		r++
	}
	r += copy(dst[r:], x[i:])
	r += copy(dst[r:], y[j:])
	return r
}

// insertionSort is __insertion_sort with __unguarded_linear_insert. The
// unguarded loop relies on a[0] stopping it; an inconsistent comparator
// could run it off the front in C++, here it stops at the start.
func (s *stableSorter) insertionSort(a []Value) {
	for i := 1; i < len(a); i++ {
		v := a[i]
		if s.less(v, a[0]) {
			copy(a[1:i+1], a[:i])
			a[0] = v
			continue
		}
		j := i
		for j > 0 && s.less(v, a[j-1]) {
			a[j] = a[j-1]
			j--
		}
		a[j] = v
	}
}
