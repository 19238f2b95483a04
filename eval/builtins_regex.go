package eval

import (
	"errors"
	"strings"
	"sync"
)

// builtins.match and builtins.split. The regular expressions are compiled
// by builtins_regex_compile.go and run by builtins_regex_exec.go.

func init() {
	register(
		&Builtin{Name: "match", Arity: 2, Fn: builtinMatch},
		&Builtin{Name: "split", Arity: 2, Fn: builtinSplit},
	)
}

// builtins.match regex str: the groups of regex matching all of str, or
// null.
func builtinMatch(c Call) Value {
	re := c.regex(0)
	s := c.String(1)
	g, ok, err := re.matchString(s.s)
	if err != nil {
		c.Errorf(EvalError, "regular expression '%s' is too complex to match against a string of %d bytes", re.pattern, len(s.s))
	}
	if !ok {
		return vNull
	}
	vals := make([]Value, 0, re.nsub-1)
	for i := 2; i < len(g); i += 2 {
		if g[i] < 0 {
			vals = append(vals, vNull)
		} else {
			// A group may be a small part of a large string.
			vals = append(vals, matchString(detach(s.s, s.s[g[i]:g[i+1]])))
		}
	}
	return NewList(vals)
}

// builtins.split regex str: the parts of str between matches of regex,
// interleaved with the lists of the matches' groups.
func builtinSplit(c Call) Value {
	re := c.regex(0)
	s := c.String(1)
	buf := splitBufs.Get().(*reMatch)
	defer func() {
		if cap(*buf) <= 1<<22 {
			splitBufs.Put(buf)
		}
	}()
	matches, err := re.splitString(s.s, (*buf)[:0])
	*buf = matches
	if err != nil {
		c.Errorf(EvalError, "regular expression '%s' is too complex to match against a string of %d bytes", re.pattern, len(s.s))
	}
	if len(matches) == 0 {
		return NewList([]Value{s})
	}
	stride := 2 * re.nsub
	count := len(matches) / stride
	out := make([]Value, 0, 2*count+1)
	// One backing array for all the groups' values.
	vals := make([]Value, 0, count*(re.nsub-1))
	prev := int32(0)
	for i := 0; i < len(matches); i += stride {
		g := matches[i : i+stride]
		out = append(out, matchString(s.s[prev:g[0]]))
		start := len(vals)
		vals = groupValues(s.s, g, vals)
		out = append(out, NewList(vals[start:len(vals):len(vals)]))
		prev = g[1]
	}
	out = append(out, matchString(s.s[prev:]))
	return NewList(out)
}

// splitBufs holds buffers for the matches of a split, which are turned
// into values at once.
var splitBufs = sync.Pool{New: func() any { return new(reMatch) }}

// groupValues appends the values of groups 1.. of a match (strings
// without context, or null) to dst.
func groupValues(s string, g reMatch, dst []Value) []Value {
	for i := 2; i < len(g); i += 2 {
		if g[i] < 0 {
			dst = append(dst, vNull)
		} else {
			dst = append(dst, matchString(s[g[i]:g[i+1]]))
		}
	}
	return dst
}

// matchString is a part of a matched string as a value; one-byte strings,
// common among groups and separators, are shared.
func matchString(s string) *String {
	if len(s) == 1 {
		return byteStrings[s[0]]
	}
	return Str(s)
}

// byteStrings are the strings of one byte.
var byteStrings = func() (t [256]*String) {
	for i := range t {
		t[i] = &String{s: string([]byte{byte(i)})}
	}
	return t
}()

// regex compiles argument i, a string without context, raising Nix's
// errors for patterns std::regex rejects.
func (c Call) regex(i int) *posixRegex {
	pat := c.StringNoCtx(i)
	re, err := regexCache.get(pat)
	if err != nil {
		if errors.Is(err, errRegexSpace) {
			c.Errorf(EvalError, "memory limit exceeded by regular expression '%s'", pat)
		}
		c.Errorf(EvalError, "invalid regular expression '%s'", pat)
	}
	return re
}

// regexCache holds compiled regular expressions by pattern, as Nix's
// RegexCache does: nixpkgs matches the same few hundred patterns again and
// again. Compiled patterns are immutable, so one cache serves every
// evaluator; it is bounded (two generations of regexCacheSize patterns, or
// regexCacheBytes of pattern text) so that evaluations generating patterns
// cannot grow it without limit.
var regexCache = &reCache{}

const (
	regexCacheSize  = 1024
	regexCacheBytes = 8 << 20
)

type reCache struct {
	mu       sync.Mutex
	cur, old map[string]reCacheEntry
	curBytes int
}

type reCacheEntry struct {
	re  *posixRegex
	err error
}

func (c *reCache) get(pat string) (*posixRegex, error) {
	c.mu.Lock()
	e, ok := c.cur[pat]
	if !ok {
		if e, ok = c.old[pat]; ok {
			c.put(pat, e)
		}
	}
	c.mu.Unlock()
	if ok {
		return e.re, e.err
	}
	// The pattern may be part of a larger string: keep a copy only.
	pat = strings.Clone(pat)
	re, err := compileRegex(pat)
	c.mu.Lock()
	c.put(pat, reCacheEntry{re, err})
	c.mu.Unlock()
	return re, err
}

// put adds an entry; the caller holds mu.
func (c *reCache) put(pat string, e reCacheEntry) {
	if c.cur == nil || len(c.cur) >= regexCacheSize || c.curBytes+len(pat) > regexCacheBytes {
		c.old, c.cur, c.curBytes = c.cur, make(map[string]reCacheEntry), 0
	}
	c.cur[pat] = e
	c.curBytes += len(pat)
}
