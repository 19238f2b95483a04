package eval

import (
	"errors"
	"sync"
)

// Running a posixRegex: libstdc++'s depth-first executor for POSIX
// grammars, as a loop with an explicit stack.
//
// The executor's exploration from a state at a position is a function of
// that state and position alone, given the loop counters (see below): each
// state is entered with "no match found yet", an alternation explores both
// sides and keeps the longer match (the left one when they are equally
// long), a greedy loop tries one more iteration first and takes the exit
// only if that found no match at all, and an accepting state is a match if
// it is at the end of the input (regex_match) or anywhere (regex_search).
// The first-found longest match wins. That makes the search a recursive
// function whose results can be memoised per (state, position), which is
// what happens when the plain search runs much longer than the automaton's
// size times the input's: then no ordinary pattern is exponential.
//
// Loop counters: libstdc++ lets a loop body run at most twice at the same
// position (so an empty iteration can set a group), keeping per loop the
// position of its last iteration. A state's result also depends on the
// counters of the loop iterations that started at the current position and
// are still running, for the loops it can reach again without consuming a
// byte; those are part of the memo key (as a hash of the set of (loop,
// count) pairs). Loops nested in loops that can all match nothing still
// have exponentially many such contexts; there the search gives up
// (libstdc++ would not finish either).
//
// A loop whose body is one character or bracket expression (".*",
// "[a-z]+") is run without a frame per iteration: its iterations consume a
// byte each, so the counters play no part, and trying the exit after the
// longest run of matching bytes, then one byte earlier and so on, is what
// the recursion does. (When memoising, such loops run as the others do,
// so that each position's result is memoised.)

// reResult is the result of exploring from a state: whether a match was
// found, where the best one ends, and, when memoising, the capture-group
// events on its path from that state on (in path order). The plain search
// keeps the groups as libstdc++ does: the current path's in cur, copied to
// best at an accepting state that ends a longer match than any before.
type reResult struct {
	found bool
	end   int32
	caps  *reCapEvent
}

// reCapEvent records that the best path passes a group's begin or end at
// pos.
type reCapEvent struct {
	sub  int32
	end  bool
	pos  int32
	next *reCapEvent
}

type reRep struct {
	pos int32
	n   int32
}

// reActive records a loop iteration that is running: where it started,
// which loop, and its contribution to a context hash.
type reActive struct {
	pos, loop int32
	contrib   uint64
}

type reMemoKey struct {
	pc, pos int32
	sig     uint64
}

// reSig is the contribution of loop i at count n to a context hash (a
// set, so contributions are XORed).
func reSig(i, n int32) uint64 {
	x := uint64(i)<<2 | uint64(n)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// beginSig distinguishes memo entries at the start of an attempt, where
// ^ and match_not_null depend on the attempt.
func (m *reMachine) beginSig() uint64 {
	f := int32(1 << 20)
	if m.prevAvail {
		f |= 1
	}
	if m.notNull {
		f |= 2
	}
	return reSig(f, 3)
}

// sigAt is the hash of the loop iterations running that started at pos,
// of the loops that state pc can reach without consuming a byte.
// It also returns how many iterations it looked at (the work it did).
func (m *reMachine) sigAt(pc, pos int32) (uint64, int) {
	var sig uint64
	i := len(m.act) - 1
	for ; i >= 0 && m.act[i].pos == pos; i-- {
		if m.reaches(pc, m.act[i].loop) {
			sig ^= m.act[i].contrib
		}
	}
	return sig, len(m.act) - 1 - i
}

// reaches reports whether state pc leads to the state of loop without
// consuming a byte. The sets of such states are computed per loop as
// needed, walking the epsilon transitions backwards.
func (m *reMachine) reaches(pc, loop int32) bool {
	prog := m.re.prog
	if m.re.nrep*len(prog) > 1<<24 {
		// Too big to work out (each set takes a walk of the automaton):
		// every loop counts, which only makes the memo less effective.
		return true
	}
	if m.reach == nil {
		m.reach = make([][]uint64, m.re.nrep)
		// The predecessors of each state through epsilon transitions.
		m.epsFrom = make([][]int32, len(prog))
		for u := range prog {
			st := &prog[u]
			switch st.op {
			case reOpChar, reOpSet, reOpAccept:
				continue
			}
			if st.next >= 0 {
				m.epsFrom[st.next] = append(m.epsFrom[st.next], int32(u))
			}
			if st.hasAlt() && st.alt >= 0 {
				m.epsFrom[st.alt] = append(m.epsFrom[st.alt], int32(u))
			}
		}
	}
	set := m.reach[loop]
	if set == nil {
		set = make([]uint64, (len(prog)+63)/64)
		stack := []int32{m.re.loops[loop]}
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if set[u/64]&(1<<(u%64)) != 0 {
				continue
			}
			set[u/64] |= 1 << (u % 64)
			stack = append(stack, m.epsFrom[u]...)
		}
		m.reach[loop] = set
	}
	return set[pc/64]&(1<<(pc%64)) != 0
}

// reFrame is a state whose exploration is under way.
type reFrame struct {
	pc, pos int32
	// a, b: alt: the left side's end and found (1); repeat: the counter
	// before this iteration (pos, n); star: the exit being tried.
	a, b  int32
	flags uint8
	sig   uint64      // the loop context at pos, for the memo key
	caps  *reCapEvent // alt: the left side's groups
}

const (
	reFrameSecond = 1 << iota // alt: right side running; repeat: exit running
	reFrameMemo               // store the result in the memo table
	reFrameIncr               // repeat: the body runs as a second iteration at pos
)

// reMachine holds the state of matching one regex against one string.
type reMachine struct {
	re    *posixRegex
	s     string
	n     int32
	exact bool // regex_match: a match must end at the end of the input

	begin     int32 // where the current attempt starts
	prevAvail bool  // ^ does not match at begin (match_prev_avail)
	notNull   bool  // an empty match at begin does not count (match_not_null)

	rep []reRep
	act []reActive // loop iterations running, innermost last
	// For the memo key: which states reach each loop (by loop, computed
	// as needed) and the epsilon predecessors of each state.
	reach   [][]uint64
	epsFrom [][]int32
	stack   []reFrame
	memo    map[reMemoKey]reResult
	// steps counts the search's steps on this string, plainBudget is when
	// it starts memoising, maxSteps when it gives up.
	steps, plainBudget, maxSteps int

	cur, best []int32 // plain search: groups of the current path, of the best match
	haveBest  bool

	events []reCapEvent // slab for capture events (memoising)
	starts []int32      // scratch for groups
}

var reMachinePool = sync.Pool{New: func() any { return new(reMachine) }}

func (re *posixRegex) machine(s string, exact bool) *reMachine {
	m := reMachinePool.Get().(*reMachine)
	m.re, m.s, m.n, m.exact = re, s, int32(len(s)), exact
	m.begin, m.prevAvail, m.notNull = 0, false, false
	if cap(m.rep) < re.nrep {
		m.rep = make([]reRep, re.nrep)
	}
	m.rep = m.rep[:re.nrep]
	clear(m.rep)
	m.memo = nil
	if cap(m.cur) < 2*re.nsub {
		m.cur, m.best = make([]int32, 2*re.nsub), make([]int32, 2*re.nsub)
	}
	m.cur, m.best = m.cur[:2*re.nsub], m.best[:2*re.nsub]
	size := len(re.prog) * (len(s) + 1)
	m.steps = 0
	m.plainBudget = 16*size + 4096
	m.maxSteps = m.plainBudget + 64*size + 1<<18
	return m
}

func (m *reMachine) release() {
	m.re, m.s, m.memo, m.events = nil, "", nil, nil
	m.reach, m.epsFrom = nil, nil
	// Frames above len are zero (run clears what it pops); a stack that
	// grew for a long input is not kept.
	m.stack = m.stack[:0]
	if cap(m.stack) > 1<<12 {
		m.stack = nil
	}
	m.act = m.act[:0]
	reMachinePool.Put(m)
}

func (m *reMachine) newEvent(sub int32, end bool, pos int32, next *reCapEvent) *reCapEvent {
	if len(m.events) == cap(m.events) {
		// Chunks grow from a few events (a match of a short string) to
		// many (a split of a long one).
		m.events = make([]reCapEvent, 0, min(max(4, 2*cap(m.events)), 1024))
	}
	m.events = append(m.events, reCapEvent{sub: sub, end: end, pos: pos, next: next})
	return &m.events[len(m.events)-1]
}

// errRegexTooComplex reports a search that takes too long even memoised:
// only loops nested inside loops that can all match the empty string,
// where libstdc++ would take as long (or overflow its stack), get there.
var errRegexTooComplex = errors.New("regular expression too complex to match")

// attempt runs the automaton from m.begin. The plain search runs until
// the steps of all attempts on this string exceed a budget proportional to
// the automaton's size times the string's length; then the search starts
// again memoising, for the rest of the string, and fails with
// errRegexTooComplex if even that exceeds a larger budget.
func (m *reMachine) attempt() (reResult, error) {
	if m.memo == nil && !m.re.alwaysMemo {
		if r, ok := m.run(m.plainBudget - m.steps); ok {
			return r, nil
		}
		clear(m.rep)
		m.act = m.act[:0]
	}
	if m.memo == nil {
		m.memo = map[reMemoKey]reResult{}
	}
	r, ok := m.run(m.maxSteps - m.steps)
	if !ok {
		clear(m.rep)
		m.act = m.act[:0]
		return reResult{}, errRegexTooComplex
	}
	return r, nil
}

// has reports whether state st (reOpChar or reOpSet) matches byte c.
func (re *posixRegex) has(st *reState, c byte) bool {
	if st.op == reOpChar {
		return c == st.c
	}
	return re.sets[st.arg].has(c)
}

// run explores from the start state at m.begin, giving up (ok false)
// after budget steps.
func (m *reMachine) run(budget int) (r reResult, ok bool) {
	re := m.re
	prog := re.prog
	s, n := m.s, m.n
	stack := m.stack[:0]
	defer func() { m.stack = stack }()
	pc, pos := re.start, m.begin
	steps := 0
	plain := m.memo == nil
	if plain {
		for i := range m.cur {
			m.cur[i] = -1
		}
		m.haveBest = false
	}
	for {
		// Descend from (pc, pos) until a result is known.
	descend:
		for {
			steps++
			if steps > budget {
				clear(stack)
				stack = stack[:0]
				m.steps += steps
				return reResult{}, false
			}
			if pc < 0 {
				r = reResult{}
				break
			}
			st := &prog[pc]
			switch st.op {
			case reOpChar:
				if pos < n && s[pos] == st.c {
					pc = st.next
					pos++
					continue
				}
				r = reResult{}
				break descend
			case reOpSet:
				if pos < n && re.sets[st.arg].has(s[pos]) {
					pc = st.next
					pos++
					continue
				}
				r = reResult{}
				break descend
			case reOpAccept:
				found := !m.exact || pos == n
				if m.notNull && pos == m.begin {
					found = false
				}
				r = reResult{found: found, end: pos}
				if found && plain && (!m.haveBest || pos > m.best[1]) {
					copy(m.best, m.cur)
					m.best[1] = pos
					m.haveBest = true
				}
				break descend
			case reOpLineBegin:
				if pos == m.begin && !m.prevAvail {
					pc = st.next
					continue
				}
				r = reResult{}
				break descend
			case reOpLineEnd:
				if pos == n {
					pc = st.next
					continue
				}
				r = reResult{}
				break descend
			case reOpSubBegin, reOpSubEnd:
				f := reFrame{pc: pc, pos: pos}
				if plain {
					// Remember the group's extent to restore it.
					k := 2 * st.arg
					f.a, f.b = m.cur[k], m.cur[k+1]
					if st.op == reOpSubBegin {
						m.cur[k] = pos
					} else {
						m.cur[k+1] = pos
					}
				}
				stack = append(stack, f)
				pc = st.next
			case reOpAlt, reOpRepeat, reOpStar:
				var flags uint8
				var sig uint64
				if m.memo != nil {
					var work int
					sig, work = m.sigAt(pc, pos)
					steps += work
					if pos == m.begin {
						sig ^= m.beginSig()
					}
					if e, ok := m.memo[reMemoKey{pc, pos, sig}]; ok {
						r = e
						break descend
					}
					flags = reFrameMemo
				}
				switch {
				case st.op == reOpAlt:
					stack = append(stack, reFrame{pc: pc, pos: pos, flags: flags, sig: sig})
					pc = st.alt
				case st.op == reOpStar && m.memo == nil:
					// Consume the longest run of matching bytes, then try
					// the exit from its end backwards.
					body := &prog[st.alt]
					j := pos
					for j < n && re.has(body, s[j]) {
						j++
					}
					steps += int(j-pos) / 8
					// Positions the rest of the pattern cannot go on
					// from are skipped.
					follow := &re.sets[st.follow]
					for j > pos && j < n && !follow.has(s[j]) {
						j--
					}
					stack = append(stack, reFrame{pc: pc, pos: pos, a: j, flags: flags, sig: sig})
					pc, pos = st.next, j
				default:
					c := m.rep[st.arg]
					switch {
					case c.n == 0 || c.pos != pos:
						stack = append(stack, reFrame{pc: pc, pos: pos, a: c.pos, b: c.n, flags: flags, sig: sig})
						m.rep[st.arg] = reRep{pos: pos, n: 1}
						m.act = append(m.act, reActive{pos, st.arg, reSig(st.arg, 1)})
						pc = st.alt
					case c.n < 2:
						stack = append(stack, reFrame{pc: pc, pos: pos, flags: flags | reFrameIncr, sig: sig})
						m.rep[st.arg].n++
						m.act = append(m.act, reActive{pos, st.arg, reSig(st.arg, 1) ^ reSig(st.arg, 2)})
						pc = st.alt
					default:
						// No third iteration at one position: only the exit.
						stack = append(stack, reFrame{pc: pc, pos: pos, flags: flags | reFrameSecond, sig: sig})
						pc = st.next
					}
				}
			default:
				pc = st.next
			}
		}
		// Ascend: hand r to the frames until one has more to explore.
	ascend:
		for {
			if len(stack) == 0 {
				m.steps += steps
				return r, true
			}
			f := &stack[len(stack)-1]
			st := &prog[f.pc]
			op := st.op
			if op == reOpStar && m.memo != nil {
				// Memoising runs these loops as the others, so that each
				// position's result is shared.
				op = reOpRepeat
			}
			switch op {
			case reOpSubBegin, reOpSubEnd:
				if plain {
					m.cur[2*st.arg], m.cur[2*st.arg+1] = f.a, f.b
				} else if r.found {
					r.caps = m.newEvent(st.arg, st.op == reOpSubEnd, f.pos, r.caps)
				}
			case reOpAlt:
				if f.flags&reFrameSecond == 0 {
					// A match that ends at the end of the input cannot be
					// beaten (and regex_match's matches all end there).
					if !r.found || (!m.exact && r.end != n) {
						f.a, f.caps = r.end, r.caps
						if r.found {
							f.b = 1
						}
						f.flags |= reFrameSecond
						pc, pos = st.next, f.pos
						break ascend
					}
				} else if f.b == 1 && (!r.found || f.a >= r.end) {
					r = reResult{found: true, end: f.a, caps: f.caps}
				}
			case reOpStar:
				if !r.found && f.a > f.pos {
					f.a--
					follow := &m.re.sets[st.follow]
					for f.a > f.pos && !follow.has(s[f.a]) {
						f.a--
					}
					steps++
					pc, pos = st.next, f.a
					break ascend
				}
			case reOpRepeat:
				if f.flags&reFrameSecond == 0 {
					if f.flags&reFrameIncr != 0 {
						m.rep[st.arg].n--
					} else {
						m.rep[st.arg] = reRep{pos: f.a, n: f.b}
					}
					m.act = m.act[:len(m.act)-1]
					if !r.found {
						f.flags |= reFrameSecond
						pc, pos = st.next, f.pos
						break ascend
					}
				}
			}
			if f.flags&reFrameMemo != 0 {
				m.memo[reMemoKey{f.pc, f.pos, f.sig}] = r
			}
			*f = reFrame{}
			stack = stack[:len(stack)-1]
		}
	}
}

// search finds the first match starting at from or later, as libstdc++'s
// regex_search does with the given flags: the start positions are tried in
// order, and after the first ^ no longer matches (match_prev_avail).
func (m *reMachine) search(from int32, prevAvail, notNull, continuous bool) (reResult, int32, bool, error) {
	m.notNull = notNull
	re := m.re
	for b := from; b <= m.n; b++ {
		if b > from {
			if continuous {
				break
			}
			prevAvail = true
		}
		// A match that must consume a byte must start with one it can.
		if !re.nullable || notNull {
			if continuous {
				if b == m.n || !re.first.has(m.s[b]) {
					break
				}
			} else {
				for b < m.n && !re.first.has(m.s[b]) {
					b++
					prevAvail = true
				}
				if b == m.n {
					break
				}
			}
		}
		m.begin, m.prevAvail = b, prevAvail
		r, err := m.attempt()
		if err != nil {
			return r, b, false, err
		}
		if r.found {
			return r, b, true, nil
		}
	}
	return reResult{}, 0, false, nil
}

// reMatch holds matches: for each, the extents of the whole match (group
// 0) and of every group, -1 for groups that did not take part.
type reMatch []int32

// appendGroups appends the group extents of the match just found to dst.
func (m *reMachine) appendGroups(dst reMatch, r reResult, begin int32) reMatch {
	nsub := m.re.nsub
	k := len(dst)
	if m.memo == nil {
		dst = append(dst, m.best...)
		g := dst[k:]
		g[0] = begin
		for i := 2; i < len(g); i += 2 {
			if g[i+1] == -1 {
				g[i] = -1 // begun but not ended (in a path that failed)
			}
		}
		return dst
	}
	for i := 0; i < 2*nsub; i++ {
		dst = append(dst, -1)
	}
	g := dst[k:]
	g[0], g[1] = begin, r.end
	if cap(m.starts) < nsub {
		m.starts = make([]int32, nsub)
	}
	starts := m.starts[:nsub]
	for e := r.caps; e != nil; e = e.next {
		if !e.end {
			starts[e.sub] = e.pos
		} else {
			g[2*e.sub], g[2*e.sub+1] = starts[e.sub], e.pos
		}
	}
	return dst
}

// matchString reports whether re matches all of s (regex_match), and the
// groups.
func (re *posixRegex) matchString(s string) (reMatch, bool, error) {
	m := re.machine(s, true)
	defer m.release()
	if !re.nullable && (len(s) == 0 || !re.first.has(s[0])) {
		return nil, false, nil
	}
	m.begin = 0
	r, err := m.attempt()
	if err != nil || !r.found {
		return nil, false, err
	}
	return m.appendGroups(nil, r, 0), true, nil
}

// splitString finds the matches of re in s as std::regex_iterator does:
// after an empty match, a non-empty match at the same position is tried
// before moving on; after a non-empty match, the next search starts at its
// end (and may find an empty match there). The matches' groups are
// appended to out one after the other, 2 * re.nsub numbers each.
func (re *posixRegex) splitString(s string, out reMatch) (reMatch, error) {
	m := re.machine(s, false)
	defer m.release()
	r, b, ok, err := m.search(0, false, false, false)
	if !ok {
		return out, err
	}
	stride := 2 * re.nsub
	out = m.appendGroups(out, r, b)
	prevAvail := false
	for {
		last := out[len(out)-stride:]
		start := last[1]
		if last[0] == last[1] {
			if start == m.n {
				break
			}
			r, b, ok, err := m.search(start, prevAvail, true, true)
			if err != nil {
				return nil, err
			}
			if ok {
				out = m.appendGroups(out, r, b)
				continue
			}
			start++
		}
		prevAvail = true
		r, b, ok, err := m.search(start, true, false, false)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		out = m.appendGroups(out, r, b)
	}
	return out, nil
}
