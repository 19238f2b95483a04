package eval

import (
	"slices"
	"strings"
)

// String is a Nix string: its bytes and its context, the store paths it
// refers to. A string without context carries no context allocation.
type String struct {
	s   string
	ctx *Context
}

// Context is the set of store paths a string refers to, in Nix's
// encoding, sorted and without duplicates:
//
//	/nix/store/…-name           a plain store path (opaque)
//	=/nix/store/…-name.drv      a derivation with its whole closure (drvDeep)
//	!out!/nix/store/…-name.drv  an output of a derivation (built)
//
// A Context is immutable once attached to a String.
type Context struct {
	elems []string
}

// Elems returns the context elements in order; the caller must not modify
// the slice.
func (c *Context) Elems() []string {
	if c == nil {
		return nil
	}
	return c.elems
}

// Len is the number of context elements.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.elems)
}

// NewContext returns a context holding elems (sorted and deduplicated
// here), or nil when elems is empty.
func NewContext(elems ...string) *Context {
	if len(elems) == 0 {
		return nil
	}
	e := slices.Clone(elems)
	slices.Sort(e)
	return &Context{elems: slices.Compact(e)}
}

// mergeContext returns the union of a and b, sharing either when possible.
func mergeContext(a, b *Context) *Context {
	if b == nil || a == b {
		return a
	}
	if a == nil {
		return b
	}
	out := make([]string, 0, len(a.elems)+len(b.elems))
	i, j := 0, 0
	for i < len(a.elems) && j < len(b.elems) {
		switch c := strings.Compare(a.elems[i], b.elems[j]); {
		case c == 0:
			out = append(out, a.elems[i])
			i++
			j++
		case c < 0:
			out = append(out, a.elems[i])
			i++
		default:
			out = append(out, b.elems[j])
			j++
		}
	}
	out = append(out, a.elems[i:]...)
	out = append(out, b.elems[j:]...)
	if len(out) == len(a.elems) {
		return a
	}
	if len(out) == len(b.elems) {
		return b
	}
	return &Context{elems: out}
}

// ContextBuilder accumulates the context of a string being built from
// parts.
type ContextBuilder struct {
	ctx *Context
}

// Add merges c into the builder.
func (b *ContextBuilder) Add(c *Context) { b.ctx = mergeContext(b.ctx, c) }

// AddElem adds one element.
func (b *ContextBuilder) AddElem(e string) { b.ctx = mergeContext(b.ctx, &Context{elems: []string{e}}) }

// Context returns the accumulated context (nil when empty).
func (b *ContextBuilder) Context() *Context { return b.ctx }

// NewString returns a string value with the given context (nil for none).
func NewString(s string, ctx *Context) *String {
	if ctx == nil && s == "" {
		return emptyString
	}
	if ctx != nil && len(ctx.elems) == 0 {
		ctx = nil
	}
	return &String{s: s, ctx: ctx}
}

// Str returns a string value without context.
func Str(s string) *String {
	if s == "" {
		return emptyString
	}
	return &String{s: s}
}

var emptyString = &String{}

// String returns the string's bytes.
func (s *String) String() string { return s.s }

// Context returns the string's context, nil when it has none.
func (s *String) Context() *Context { return s.ctx }

// HasContext reports whether the string refers to store paths.
func (s *String) HasContext() bool { return s.ctx != nil }
