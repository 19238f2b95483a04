package eval

// Regular expressions as Nix has them
//
// builtins.match and builtins.split take POSIX extended regular
// expressions, which Nix hands to C++'s std::regex with the
// std::regex::extended flag. What Nix users get is therefore not POSIX
// exactly but what libstdc++ (GCC 12 for Nix 2.8 on Debian) makes of it,
// and Go's regexp package differs from that in ways nixpkgs would notice:
//
//   - The syntax: libstdc++ rejects escapes of ordinary characters ("\d",
//     "\]", "\/"), quantifiers after ^ or $, "a{,3}", ranges after a range
//     ("[a-z-9]"); it accepts equivalence classes ("[[=a=]]"), collating
//     symbols by name ("[[.hyphen.]]") and the classes d, w and s; a
//     backslash in a bracket is an ordinary character; "a{n}" has no upper
//     bound other than the automaton's size.
//   - Bytes, not runes: "." matches one byte (any but NUL), and bracket
//     ranges compare bytes as signed chars.
//   - Which match is found. libstdc++ runs a backtracking search that, for
//     POSIX grammars, explores both sides of every alternation and keeps
//     the longest match, but commits to one more iteration of a greedy
//     loop as soon as that finds any match. builtins.match (regex_match,
//     which must match the whole string) therefore reports the captures of
//     the first match in backtracking (Perl) order, not POSIX's
//     subexpression rules; builtins.split (regex_search through
//     regex_iterator) finds matches that are neither leftmost-longest nor
//     leftmost-first ("a?(ab)?" matches "a" of "ab"), and after a match it
//     may find an empty match at its end.
//
// So govix implements the same automaton and the same search: this file
// builds the NFA exactly as libstdc++'s regex compiler does (the same
// states, so that patterns too large for it fail alike, with "memory limit
// exceeded"), and builtins_regex_exec.go runs it with the same exploration
// order and results. The search is written as an explicit-stack loop, not
// recursion, so long inputs cannot overflow the Go stack (Nix's does past a
// few hundred kilobytes), and it falls back to memoising its results per
// (state, position, loop context) when a pattern makes the plain search
// blow up, so ordinary patterns never take exponential time; only loops
// nested in loops that all match nothing, on which Nix does not finish
// either, end in an error ("too complex to match").

import (
	"errors"
	"fmt"
	"math/bits"
)

// reStateLimit is libstdc++'s _GLIBCXX_REGEX_STATE_LIMIT: compiling a
// pattern that needs more NFA states fails with error_space, which Nix
// reports as "memory limit exceeded".
const reStateLimit = 100000

// Errors compiling a regular expression.
var (
	errRegexInvalid = errors.New("invalid regular expression")
	errRegexSpace   = errors.New("regular expression exceeds the automaton size limit")
)

// reOp is the kind of an NFA state.
type reOp uint8

const (
	reOpDummy     reOp = iota // no-op, removed after compiling
	reOpChar                  // consume the byte c
	reOpSet                   // consume a byte of sets[arg]
	reOpAlt                   // try alt (the left alternative), then next
	reOpRepeat                // greedy loop: one more iteration (alt), then the exit (next)
	reOpSubBegin              // start of capture group arg
	reOpSubEnd                // end of capture group arg
	reOpLineBegin             // ^
	reOpLineEnd               // $
	reOpAccept                // the end of the pattern
	reOpStar                  // a reOpRepeat whose body (alt) is one reOpChar or reOpSet looping back
)

// reState is a state of the NFA.
type reState struct {
	op   reOp
	c    byte
	next int32 // -1 for none
	alt  int32 // reOpAlt, reOpRepeat
	arg  int32 // group (sub), set index (set), counter index (repeat)
	// reOpStar: the set of bytes that can follow the loop (all bytes if
	// what follows can match nothing).
	follow int32
}

func (s *reState) hasAlt() bool { return s.op == reOpAlt || s.op == reOpRepeat || s.op == reOpStar }

// reByteSet is a set of bytes.
type reByteSet [4]uint64

func (b *reByteSet) add(c byte)         { b[c>>6] |= 1 << (c & 63) }
func (b *reByteSet) has(c byte) bool    { return b[c>>6]&(1<<(c&63)) != 0 }
func (b *reByteSet) union(o *reByteSet) { b[0] |= o[0]; b[1] |= o[1]; b[2] |= o[2]; b[3] |= o[3] }
func (b *reByteSet) count() (n int) {
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// posixRegex is a compiled regular expression. It is immutable and may be
// shared; matching state lives in a reMachine.
type posixRegex struct {
	pattern  string
	prog     []reState
	sets     []reByteSet
	start    int32
	nsub     int     // capture groups, counting group 0 (the whole match)
	nrep     int     // loop counters (one per reOpRepeat state)
	loops    []int32 // the state of each loop counter
	first    reByteSet
	nullable bool // may match without consuming a byte (conservatively)

	alwaysMemo bool // for tests: memoise from the start
}

// compileRegex compiles a POSIX extended regular expression as libstdc++
// does; the error is errRegexInvalid or errRegexSpace (wrapped).
func compileRegex(pattern string) (re *posixRegex, err error) {
	c := &reCompiler{sc: reScanner{pat: pattern}}
	defer func() {
		if x := recover(); x != nil {
			e, ok := x.(reCompileError)
			if !ok {
				panic(x)
			}
			re, err = nil, e.err
		}
	}()
	c.sc.advance()
	c.states = make([]reState, 0, 2*len(pattern)+8)
	start := c.insertSubBegin()
	r := reSeq{start, start}
	r = c.appendSeq(r, c.disjunction())
	if !c.matchTok(reTokEOF) {
		c.fail(errRegexInvalid, "unmatched ')' or unexpected token")
	}
	r = c.appendState(r, c.insertSubEnd())
	c.appendState(r, c.insert(reState{op: reOpAccept, next: -1}))
	return c.finish(pattern), nil
}

// reCompileError carries a compile error up to compileRegex.
type reCompileError struct{ err error }

type reCompiler struct {
	sc         reScanner
	states     []reState
	sets       []reByteSet
	nsub       int32
	parenStack []int32
	val        string // the value of the token last matched
}

// reSeq is a sequence of states from start to end (whose next is open).
type reSeq struct{ start, end int32 }

func (c *reCompiler) fail(err error, detail string) {
	panic(reCompileError{fmt.Errorf("%w: %s", err, detail)})
}

func (c *reCompiler) insert(s reState) int32 {
	c.states = append(c.states, s)
	if len(c.states) > reStateLimit {
		c.fail(errRegexSpace, "too many NFA states")
	}
	return int32(len(c.states) - 1)
}

func (c *reCompiler) insertDummy() int32 { return c.insert(reState{op: reOpDummy, next: -1}) }

func (c *reCompiler) insertSubBegin() int32 {
	id := c.nsub
	c.nsub++
	c.parenStack = append(c.parenStack, id)
	return c.insert(reState{op: reOpSubBegin, next: -1, arg: id})
}

func (c *reCompiler) insertSubEnd() int32 {
	id := c.parenStack[len(c.parenStack)-1]
	c.parenStack = c.parenStack[:len(c.parenStack)-1]
	return c.insert(reState{op: reOpSubEnd, next: -1, arg: id})
}

func (c *reCompiler) insertRepeat(next, alt int32) int32 {
	return c.insert(reState{op: reOpRepeat, next: next, alt: alt})
}

func (c *reCompiler) insertSet(set reByteSet) int32 {
	c.sets = append(c.sets, set)
	return c.insert(reState{op: reOpSet, next: -1, arg: int32(len(c.sets) - 1)})
}

// appendState links s to the end of r.
func (c *reCompiler) appendState(r reSeq, s int32) reSeq {
	c.states[r.end].next = s
	r.end = s
	return r
}

// appendSeq links the sequence t to the end of r.
func (c *reCompiler) appendSeq(r, t reSeq) reSeq {
	c.states[r.end].next = t.start
	r.end = t.end
	return r
}

// matchTok consumes the current token if it is t, remembering its value.
func (c *reCompiler) matchTok(t reTok) bool {
	if c.sc.tok != t {
		return false
	}
	c.val = c.sc.val
	c.sc.advance()
	return true
}

// disjunction: alternative ('|' alternative)*.
func (c *reCompiler) disjunction() reSeq {
	s := c.alternative()
	for c.matchTok(reTokOr) {
		alt1 := s
		alt2 := c.alternative()
		end := c.insertDummy()
		c.appendState(alt1, end)
		c.appendState(alt2, end)
		s = reSeq{c.insert(reState{op: reOpAlt, next: alt2.start, alt: alt1.start}), end}
	}
	return s
}

// alternative: term*, ended by a dummy state (as libstdc++'s recursion
// leaves one).
func (c *reCompiler) alternative() reSeq {
	var s reSeq
	have := false
	for {
		t, ok := c.term()
		if !ok {
			break
		}
		if have {
			s = c.appendSeq(s, t)
		} else {
			s, have = t, true
		}
	}
	d := c.insertDummy()
	if !have {
		return reSeq{d, d}
	}
	return c.appendState(s, d)
}

// term: an assertion (^ or $, which cannot be repeated) or an atom with
// any number of quantifiers.
func (c *reCompiler) term() (reSeq, bool) {
	switch {
	case c.matchTok(reTokLineBegin):
		s := c.insert(reState{op: reOpLineBegin, next: -1})
		return reSeq{s, s}, true
	case c.matchTok(reTokLineEnd):
		s := c.insert(reState{op: reOpLineEnd, next: -1})
		return reSeq{s, s}, true
	}
	s, ok := c.atom()
	if !ok {
		return s, false
	}
	for {
		q, ok := c.quantifier(s)
		if !ok {
			return s, true
		}
		s = q
	}
}

func (c *reCompiler) quantifier(e reSeq) (reSeq, bool) {
	switch {
	case c.matchTok(reTokStar):
		r := c.insertRepeat(-1, e.start)
		c.appendState(e, r)
		return reSeq{r, r}, true
	case c.matchTok(reTokPlus):
		return c.appendState(e, c.insertRepeat(-1, e.start)), true
	case c.matchTok(reTokOpt):
		end := c.insertDummy()
		r := c.insertRepeat(-1, e.start)
		c.appendState(e, end)
		return c.appendState(reSeq{r, r}, end), true
	case c.matchTok(reTokIntervalBegin):
		if !c.matchTok(reTokDupCount) {
			c.fail(errRegexInvalid, "bad brace")
		}
		out := reSeq{c.insertDummy(), 0}
		out.end = out.start
		minRep := reIntValue(c.val)
		infinite := false
		var n int64
		if c.matchTok(reTokComma) {
			if c.matchTok(reTokDupCount) {
				n = reIntValue(c.val) - minRep
			} else {
				infinite = true
			}
		}
		if !c.matchTok(reTokIntervalEnd) {
			c.fail(errRegexInvalid, "unterminated brace")
		}
		for i := int64(0); i < minRep; i++ {
			out = c.appendSeq(out, c.clone(e))
		}
		if infinite {
			tmp := c.clone(e)
			r := c.insertRepeat(-1, tmp.start)
			c.appendState(tmp, r)
			return c.appendState(out, r), true
		}
		if n < 0 {
			c.fail(errRegexInvalid, "bad brace")
		}
		end := c.insertDummy()
		var alts []int32
		for i := int64(0); i < n; i++ {
			tmp := c.clone(e)
			alt := c.insertRepeat(tmp.start, end)
			alts = append(alts, alt)
			out = c.appendSeq(out, reSeq{alt, tmp.end})
		}
		out = c.appendState(out, end)
		// Each optional copy tries one more iteration first (alt) and
		// otherwise skips to the end of the whole repetition (next).
		for _, a := range alts {
			s := &c.states[a]
			s.next, s.alt = s.alt, s.next
		}
		return out, true
	}
	return e, false
}

// reIntValue is libstdc++'s _M_cur_int_value(10): digits accumulated in a
// long (wrapping) and returned as an int.
func reIntValue(digits string) int64 {
	var v int64
	for i := 0; i < len(digits); i++ {
		v = v*10 + int64(digits[i]-'0')
	}
	return int64(int32(v))
}

// clone copies the states of s (following next and alt, but not past
// s.end) as libstdc++'s _StateSeq::_M_clone does, including its habit of
// copying a state twice when it is reached twice before being copied.
func (c *reCompiler) clone(s reSeq) reSeq {
	m := map[int32]int32{}
	stack := []int32{s.start}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		dup := c.states[u]
		m[u] = c.insert(dup)
		if dup.hasAlt() && dup.alt != -1 {
			if _, ok := m[dup.alt]; !ok {
				stack = append(stack, dup.alt)
			}
		}
		if u == s.end {
			continue
		}
		if dup.next != -1 {
			if _, ok := m[dup.next]; !ok {
				stack = append(stack, dup.next)
			}
		}
	}
	for _, v := range m {
		st := &c.states[v]
		if st.next != -1 {
			if t, ok := m[st.next]; ok {
				st.next = t
			}
		}
		if st.hasAlt() && st.alt != -1 {
			if t, ok := m[st.alt]; ok {
				st.alt = t
			}
		}
	}
	return reSeq{m[s.start], m[s.end]}
}

func (c *reCompiler) atom() (reSeq, bool) {
	var s int32
	switch {
	case c.matchTok(reTokAny):
		var set reByteSet
		for i := 1; i < 256; i++ {
			set.add(byte(i)) // any byte but NUL
		}
		s = c.insertSet(set)
	case c.matchTok(reTokOrd):
		s = c.insert(reState{op: reOpChar, c: c.val[0], next: -1})
	case c.matchTok(reTokSubBegin):
		r := reSeq{c.insertSubBegin(), 0}
		r.end = r.start
		r = c.appendSeq(r, c.disjunction())
		if !c.matchTok(reTokSubEnd) {
			c.fail(errRegexInvalid, "unmatched '('")
		}
		return c.appendState(r, c.insertSubEnd()), true
	case c.matchTok(reTokBracketNegBegin):
		s = c.insertSet(c.bracket(true))
	case c.matchTok(reTokBracketBegin):
		s = c.insertSet(c.bracket(false))
	default:
		return reSeq{}, false
	}
	return reSeq{s, s}, true
}

// bracket parses a bracket expression after its '[' or '[^'.
func (c *reCompiler) bracket(neg bool) reByteSet {
	var b reBracket
	// last is the previous single character, which may start a range.
	const (
		lastNone = iota
		lastChar
		lastClass
	)
	lastKind, last := lastNone, byte(0)
	pushChar := func(ch byte) {
		if lastKind == lastChar {
			b.chars.add(last)
		}
		lastKind, last = lastChar, ch
	}
	pushClass := func() {
		if lastKind == lastChar {
			b.chars.add(last)
		}
		lastKind = lastClass
	}
	if c.matchTok(reTokOrd) {
		lastKind, last = lastChar, c.val[0]
	} else if c.matchTok(reTokBracketDash) {
		lastKind, last = lastChar, '-'
	}
	for !c.matchTok(reTokBracketEnd) {
		switch {
		case c.matchTok(reTokCollSym):
			ch, ok := reCollateName(c.val)
			if !ok {
				c.fail(errRegexInvalid, "unknown collating element")
			}
			b.chars.add(ch)
			pushChar(ch)
		case c.matchTok(reTokEquivName):
			pushClass()
			ch, ok := reCollateName(c.val)
			if !ok {
				c.fail(errRegexInvalid, "unknown equivalence class")
			}
			b.equiv = append(b.equiv, reToLower(ch))
		case c.matchTok(reTokClassName):
			pushClass()
			cls, ok := reClassByName(c.val)
			if !ok {
				c.fail(errRegexInvalid, "unknown character class")
			}
			b.classes.union(&cls)
		case c.matchTok(reTokOrd):
			pushChar(c.val[0])
		case c.matchTok(reTokBracketDash):
			switch {
			case c.matchTok(reTokBracketEnd):
				pushChar('-')
				return b.set(lastKind == lastChar, last, neg)
			case lastKind == lastClass:
				c.fail(errRegexInvalid, "range starts at a class")
			case lastKind == lastChar:
				var hi byte
				switch {
				case c.matchTok(reTokOrd):
					hi = c.val[0]
				case c.matchTok(reTokBracketDash):
					hi = '-'
				default:
					c.fail(errRegexInvalid, "bad end of range")
				}
				// Ranges compare chars, which are signed.
				if int8(last) > int8(hi) {
					c.fail(errRegexInvalid, "invalid range")
				}
				b.ranges = append(b.ranges, [2]int8{int8(last), int8(hi)})
				lastKind = lastNone
			default:
				c.fail(errRegexInvalid, "'-' in a bracket expression")
			}
		default:
			c.fail(errRegexInvalid, "unterminated bracket expression")
		}
	}
	return b.set(lastKind == lastChar, last, neg)
}

// reBracket accumulates a bracket expression.
type reBracket struct {
	chars   reByteSet
	classes reByteSet
	ranges  [][2]int8
	equiv   []byte // lower-cased characters
}

func (b *reBracket) set(lastIsChar bool, last byte, neg bool) reByteSet {
	if lastIsChar {
		b.chars.add(last)
	}
	var out reByteSet
	for i := 0; i < 256; i++ {
		ch := byte(i)
		in := b.chars.has(ch) || b.classes.has(ch)
		for _, r := range b.ranges {
			if r[0] <= int8(ch) && int8(ch) <= r[1] {
				in = true
			}
		}
		for _, e := range b.equiv {
			if reToLower(ch) == e {
				in = true
			}
		}
		if in != neg {
			out.add(ch)
		}
	}
	return out
}

func reToLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// reClassByName returns the bytes of a character class as the "C" locale
// defines them (std::regex_traits::lookup_classname: the POSIX names and
// d, w, s, case-insensitively).
func reClassByName(name string) (reByteSet, bool) {
	var set reByteSet
	lower := make([]byte, len(name))
	for i := 0; i < len(name); i++ {
		lower[i] = reToLower(name[i])
	}
	var pred func(c byte) bool
	isUpper := func(c byte) bool { return 'A' <= c && c <= 'Z' }
	isLower := func(c byte) bool { return 'a' <= c && c <= 'z' }
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	isAlpha := func(c byte) bool { return isUpper(c) || isLower(c) }
	isAlnum := func(c byte) bool { return isAlpha(c) || isDigit(c) }
	isSpace := func(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') }
	isPunct := func(c byte) bool { return 0x21 <= c && c <= 0x7e && !isAlnum(c) }
	switch string(lower) {
	case "d", "digit":
		pred = isDigit
	case "w":
		pred = func(c byte) bool { return isAlnum(c) || c == '_' }
	case "s", "space":
		pred = isSpace
	case "alnum":
		pred = isAlnum
	case "alpha":
		pred = isAlpha
	case "blank":
		pred = func(c byte) bool { return c == ' ' || c == '\t' }
	case "cntrl":
		pred = func(c byte) bool { return c < 0x20 || c == 0x7f }
	case "graph":
		pred = func(c byte) bool { return 0x21 <= c && c <= 0x7e }
	case "lower":
		pred = isLower
	case "print":
		pred = func(c byte) bool { return 0x20 <= c && c <= 0x7e }
	case "punct":
		pred = isPunct
	case "upper":
		pred = isUpper
	case "xdigit":
		pred = func(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') }
	default:
		return set, false
	}
	for i := 0; i < 128; i++ {
		if pred(byte(i)) {
			set.add(byte(i))
		}
	}
	return set, true
}

// reCollateNames are the collating element names std::regex_traits knows:
// the ASCII character with code i is named reCollateNames[i].
var reCollateNames = [128]string{
	"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "alert", "backspace", "tab", "newline",
	"vertical-tab", "form-feed", "carriage-return", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4",
	"NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "IS4", "IS3", "IS2", "IS1", "space",
	"exclamation-mark", "quotation-mark", "number-sign", "dollar-sign", "percent-sign", "ampersand",
	"apostrophe", "left-parenthesis", "right-parenthesis", "asterisk", "plus-sign", "comma", "hyphen",
	"period", "slash", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
	"colon", "semicolon", "less-than-sign", "equals-sign", "greater-than-sign", "question-mark",
	"commercial-at", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P",
	"Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "left-square-bracket", "backslash",
	"right-square-bracket", "circumflex", "underscore", "grave-accent", "a", "b", "c", "d", "e", "f",
	"g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
	"left-curly-bracket", "vertical-line", "right-curly-bracket", "tilde", "DEL",
}

func reCollateName(name string) (byte, bool) {
	for i, n := range reCollateNames {
		if n == name {
			return byte(i), true
		}
	}
	return 0, false
}

// finish removes the dummy states (and group 0's markers, whose extent is
// the match itself) from the links, renumbers nothing, and computes what
// the search uses to skip positions.
func (c *reCompiler) finish(pattern string) *posixRegex {
	st := c.states
	// Group 0's begin and end need no work at run time.
	for i := range st {
		if (st[i].op == reOpSubBegin || st[i].op == reOpSubEnd) && st[i].arg == 0 {
			st[i].op = reOpDummy
		}
	}
	skip := func(id int32) int32 {
		for n := 0; id >= 0 && st[id].op == reOpDummy; n++ {
			if n > len(st) {
				return -1 // a cycle of dummies (cannot happen): a dead end
			}
			id = st[id].next
		}
		return id
	}
	nrep := 0
	var loops []int32
	for i := range st {
		st[i].next = skip(st[i].next)
		if st[i].hasAlt() {
			st[i].alt = skip(st[i].alt)
		}
		if st[i].op == reOpRepeat {
			st[i].arg = int32(nrep)
			nrep++
			loops = append(loops, int32(i))
		}
	}
	re := &posixRegex{
		pattern: pattern,
		prog:    st,
		sets:    c.sets,
		start:   skip(0),
		nsub:    int(c.nsub),
		nrep:    nrep,
		loops:   loops,
	}
	// Single-byte sets are plain characters.
	for i := range st {
		if st[i].op == reOpSet && re.sets[st[i].arg].count() == 1 {
			for b := 0; b < 256; b++ {
				if re.sets[st[i].arg].has(byte(b)) {
					st[i].op, st[i].c = reOpChar, byte(b)
				}
			}
		}
	}
	// Loops over one character or set need no counter.
	for i := range st {
		if st[i].op != reOpRepeat || st[i].alt < 0 {
			continue
		}
		if b := &st[st[i].alt]; (b.op == reOpChar || b.op == reOpSet) && b.next == int32(i) {
			st[i].op = reOpStar
		}
	}
	re.computeFirst()
	return re
}

// computeFirst finds the bytes a match can start with, and whether a match
// can be empty (treating ^ and $ as always true).
func (re *posixRegex) computeFirst() {
	re.first, re.nullable = re.firstFrom(re.start)
	// What may follow a one-byte loop lets its search skip positions.
	for i := range re.prog {
		if re.prog[i].op == reOpStar {
			set, nullable := re.firstFrom(re.prog[i].next)
			if nullable {
				set = reByteSet{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
			}
			re.prog[i].follow = int32(len(re.sets))
			re.sets = append(re.sets, set)
		}
	}
}

// firstFrom returns the bytes a match from state id can start with, and
// whether it can match without consuming one (treating ^ and $ as true).
func (re *posixRegex) firstFrom(id int32) (first reByteSet, nullable bool) {
	seen := make([]bool, len(re.prog))
	stack := []int32{id}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id < 0 || seen[id] {
			continue
		}
		seen[id] = true
		s := &re.prog[id]
		switch s.op {
		case reOpChar:
			first.add(s.c)
		case reOpSet:
			first.union(&re.sets[s.arg])
		case reOpAccept:
			nullable = true
		case reOpAlt, reOpRepeat, reOpStar:
			stack = append(stack, s.next, s.alt)
		default:
			stack = append(stack, s.next)
		}
	}
	return first, nullable
}
