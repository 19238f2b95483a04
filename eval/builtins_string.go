package eval

import "strings"

// String builtins: concatStringsSep, replaceStrings, substring,
// stringLength, baseNameOf and dirOf. Their argument checks, error
// messages and treatment of string context follow current Nix
// (src/libexpr/primops.cc), which the language test corpus records.

func init() {
	register(
		&Builtin{Name: "concatStringsSep", Arity: 2, Fn: builtinConcatStringsSep},
		&Builtin{Name: "replaceStrings", Arity: 3, Fn: builtinReplaceStrings},
		&Builtin{Name: "substring", Arity: 3, Fn: builtinSubstring},
		&Builtin{Name: "stringLength", Arity: 1, Fn: builtinStringLength},
		&Builtin{Name: "baseNameOf", Arity: 1, Global: true, Fn: builtinBaseNameOf},
		&Builtin{Name: "dirOf", Arity: 1, Global: true, Fn: builtinDirOf},
	)
}

// builtins.concatStringsSep sep list: the elements (coerced as string
// interpolation does, so paths are copied to the store) joined by sep. The
// separator's context is kept even when it is not used.
func builtinConcatStringsSep(c Call) Value {
	sep := c.stringMsg(c.Args[0], "while evaluating the first argument (the separator string) passed to builtins.concatStringsSep")
	l := c.listMsg(c.Args[1], "while evaluating the second argument (the list of strings to concat) passed to builtins.concatStringsSep")
	var ctx ContextBuilder
	ctx.Add(sep.ctx)
	elems := l.elems
	switch len(elems) {
	case 0:
		return NewString("", ctx.Context())
	case 1:
		if s, ok := c.forceMsg(elems[0], concatElemMsg).(*String); ok && sep.ctx == nil {
			return s
		}
	}
	// Coerce every element first, so that the result is allocated once.
	parts := make([]string, len(elems))
	n := len(sep.s) * (len(elems) - 1)
	for i, e := range elems {
		v := c.forceMsg(e, concatElemMsg)
		if s, ok := v.(*String); ok {
			parts[i] = s.s
			ctx.Add(s.ctx)
		} else {
			s, sctx := c.CoerceValue(v, concatElemMsg, false, true)
			parts[i] = s
			ctx.Add(sctx)
		}
		n += len(parts[i])
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range parts {
		if i > 0 {
			b.WriteString(sep.s)
		}
		b.WriteString(p)
	}
	return NewString(b.String(), ctx.Context())
}

const concatElemMsg = "while evaluating one element of the list of strings to concat passed to builtins.concatStringsSep"

// builtins.replaceStrings from to s: s with every occurrence of a string
// in from replaced by the corresponding string in to. At each position the
// first string of from that occurs there wins; an empty string in from
// matches at every position (before each character and at the end), and
// the character after it is kept. A replacement string is evaluated only
// when it is used, and only then is its context added to the result's.
func builtinReplaceStrings(c Call) Value {
	fromList := c.listMsg(c.Args[0], "while evaluating the first argument passed to builtins.replaceStrings")
	toList := c.listMsg(c.Args[1], "while evaluating the second argument passed to builtins.replaceStrings")
	if len(fromList.elems) != len(toList.elems) {
		c.Errorf(EvalError, "'from' and 'to' arguments passed to builtins.replaceStrings have different lengths")
	}
	from := make([]string, len(fromList.elems))
	for i, e := range fromList.elems {
		from[i] = c.stringMsg(e, "while evaluating one of the strings to replace passed to builtins.replaceStrings").s
	}
	str := c.stringMsg(c.Args[2], "while evaluating the third argument passed to builtins.replaceStrings")
	if len(from) == 0 {
		return str
	}
	r := replacer{c: c, from: from, to: toList.elems, done: make([]*String, len(from))}
	r.ctx.Add(str.ctx)
	out, changed := r.replace(str.s)
	if !changed {
		return str
	}
	return NewString(out, r.ctx.Context())
}

type replacer struct {
	c    Call
	from []string
	to   []Value
	done []*String // replacement strings forced so far
	ctx  ContextBuilder
	cand *[256][]int32 // the patterns by first byte
}

// replacement returns to[i], forcing it (and taking its context) on first
// use.
func (r *replacer) replacement(i int) string {
	if s := r.done[i]; s != nil {
		return s.s
	}
	s := r.c.stringMsg(r.to[i], "while evaluating one of the replacement strings passed to builtins.replaceStrings")
	r.done[i] = s
	r.ctx.Add(s.ctx)
	return s.s
}

// replace returns s with the replacements made, and whether there were
// any. It scans s twice, first to size the result (forcing the
// replacements as they are first used, in Nix's order), then to write it,
// so that the result is allocated once.
func (r *replacer) replace(s string) (string, bool) {
	size := 0
	n := r.scan(s, func(p, idx int) {
		size += len(r.replacement(idx)) - len(r.from[idx])
	})
	if n == 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s) + size)
	copied := 0 // s[:copied] is in b
	r.scan(s, func(p, idx int) {
		b.WriteString(s[copied:p])
		b.WriteString(r.done[idx].s)
		copied = min(p+len(r.from[idx]), len(s))
	})
	b.WriteString(s[copied:])
	return b.String(), true
}

// scan calls found(p, i) for each replacement, in order: from[i] found at
// position p (for an empty from[i], before the byte at p, which is kept).
// It returns the number of replacements.
func (r *replacer) scan(s string, found func(p, i int)) int {
	// firstEmpty is the index of the first empty pattern: it matches
	// everywhere, so no later pattern is ever tried.
	firstEmpty := len(r.from)
	for i, f := range r.from {
		if f == "" {
			firstEmpty = i
			break
		}
	}
	pats := r.from[:firstEmpty]
	n := 0
	if firstEmpty == len(r.from) && len(pats) == 1 {
		// One pattern: let strings.Index find the occurrences.
		f := pats[0]
		for p := 0; ; {
			i := strings.Index(s[p:], f)
			if i < 0 {
				return n
			}
			found(p+i, 0)
			n++
			p += i + len(f)
		}
	}
	// cand[b] lists the patterns that start with byte b, in order.
	if r.cand == nil {
		r.cand = new([256][]int32)
		for i, f := range pats {
			r.cand[f[0]] = append(r.cand[f[0]], int32(i))
		}
	}
	cand := r.cand
	for p := 0; p <= len(s); {
		idx := -1
		if p < len(s) {
			for _, i := range cand[s[p]] {
				if strings.HasPrefix(s[p:], pats[i]) {
					idx = int(i)
					break
				}
			}
		}
		if idx < 0 && firstEmpty < len(r.from) {
			idx = firstEmpty
		}
		if idx < 0 {
			p++
			continue
		}
		found(p, idx)
		n++
		if r.from[idx] == "" {
			p++ // the byte at p is kept
		} else {
			p += len(r.from[idx])
		}
	}
	return n
}

// builtins.substring start len s: the bytes of s from start (which must
// not be negative) up to start + len, or to the end when len is negative
// or reaches past it.
func builtinSubstring(c Call) Value {
	start := c.intMsgSubstring(c.Args[0], "while evaluating the first argument (the start offset) passed to builtins.substring")
	if start < 0 {
		c.Errorf(EvalError, "negative start position in 'substring'")
	}
	n := c.intMsgSubstring(c.Args[1], "while evaluating the second argument (the substring length) passed to builtins.substring")
	if n == 0 {
		// An empty substring keeps the string's context (without copying
		// or even coercing a string), which code uses to take a string's
		// context alone.
		if s, ok := c.forceMsg(c.Args[2], substringArg3).(*String); ok {
			return NewString("", s.ctx)
		}
	}
	s, ctx := c.CoerceValue(c.forceMsg(c.Args[2], substringArg3), substringArg3, false, true)
	if start >= int64(len(s)) {
		return NewString("", ctx)
	}
	end := int64(len(s))
	if n >= 0 && n < end-start {
		end = start + n
	}
	if ctx == nil && end-start == 1 {
		return byteStrings[s[start]]
	}
	return NewString(detach(s, s[start:end]), ctx)
}

// detach returns part, a substring of s, copied if it is much smaller than
// a large s, so that keeping a small piece of a large string (a file's
// contents, say) does not keep all of it.
func detach(s, part string) string {
	if len(s) >= 4096 && len(part) <= len(s)/16 {
		return strings.Clone(part)
	}
	return part
}

const substringArg3 = "while evaluating the third argument (the string) passed to builtins.substring"

// intMsgSubstring forces v to an integer.
func (c Call) intMsgSubstring(v Value, msg string) int64 {
	v = c.forceMsg(v, msg)
	n, ok := v.(Int)
	if !ok {
		c.wantMsg(msg, "an integer", v)
	}
	return int64(n)
}

// builtins.stringLength s: the length of s in bytes (s coerced as string
// interpolation does, so a path is copied to the store first).
func builtinStringLength(c Call) Value {
	const msg = "while evaluating the argument passed to builtins.stringLength"
	v := c.forceMsg(c.Args[0], msg)
	if s, ok := v.(*String); ok {
		return Int(len(s.s))
	}
	s, _ := c.CoerceValue(v, msg, false, true)
	return Int(len(s))
}

// builtins.baseNameOf x: what follows the last slash of x (a path, or a
// string, from which one trailing slash is removed first), as a string
// with x's context.
func builtinBaseNameOf(c Call) Value {
	s, ctx := c.Coerce(0, false, false)
	return NewString(legacyBaseNameOf(s), ctx)
}

// legacyBaseNameOf is Nix's: for "a//" it gives "" (one slash is removed,
// then what follows the last one).
func legacyBaseNameOf(p string) string {
	if p == "" {
		return ""
	}
	last := len(p) - 1
	if p[last] == '/' && last > 0 {
		last--
	}
	pos := strings.LastIndexByte(p[:last+1], '/')
	return p[pos+1 : last+1]
}

// builtins.dirOf x: for a path, its parent (the root's is itself); for a
// string, what precedes its last slash ("." if there is none, "/" if it
// is the first character), with the string's context.
func builtinDirOf(c Call) Value {
	v := c.Force(0)
	if p, ok := v.(Path); ok {
		if p == "/" {
			return p
		}
		i := strings.LastIndexByte(string(p), '/')
		if i == 0 {
			return Path("/")
		}
		return p[:i]
	}
	s, ctx := c.CoerceValue(v, "while evaluating the first argument passed to 'builtins.dirOf'", false, false)
	switch i := strings.LastIndexByte(s, '/'); i {
	case -1:
		return NewString(".", ctx)
	case 0:
		return NewString("/", ctx)
	default:
		return NewString(s[:i], ctx)
	}
}
