package eval

import "sync"

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
// size times the input's: then no pattern makes it exponential.
//
// Loop counters: libstdc++ lets a loop body run at most twice at the same
// position (so an empty iteration can set a group), keeping per loop the
// position of its last iteration. A state's result depends on them only
// while a loop iteration that started at the current position is active;
// such states are not memoised.

// reResult is the result of exploring from a state: whether a match was
// found, where the best one ends, and the capture-group events on its path
// from that state on (in path order).
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

type reFrame struct {
	pc, pos int32
	phase   uint8 // alt: 1 = left running, 2 = right; repeat: 1 = body, 2 = exit
	memo    bool  // store the result in the memo table
	incr    bool  // repeat: the body runs as a second iteration at pos
	saved   reRep // repeat: the counter before this iteration
	left    reResult
}

// reMachine holds the state of matching one regex against one string.
type reMachine struct {
	re    *posixRegex
	s     string
	n     int32
	exact bool // regex_match: a match must end at the end of the input

	begin     int32 // where the current attempt starts
	prevAvail bool  // ^ does not match at begin (match_prev_avail)
	notNull   bool  // an empty match at begin does not count (match_not_null)

	rep   []reRep
	act   []int32 // positions of active loop iterations, innermost last
	stack []reFrame
	memo  map[uint64]reResult
	steps int

	events []reCapEvent // slab for capture events
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
	return m
}

func (m *reMachine) release() {
	m.re, m.s, m.memo = nil, "", nil
	m.events = nil
	clear(m.stack[:cap(m.stack)])
	m.stack = m.stack[:0]
	if cap(m.stack) > 1<<16 {
		m.stack = nil
	}
	m.act = m.act[:0]
	reMachinePool.Put(m)
}

func (m *reMachine) newEvent(sub int32, end bool, pos int32, next *reCapEvent) *reCapEvent {
	if len(m.events) == cap(m.events) {
		m.events = make([]reCapEvent, 0, 64)
	}
	m.events = append(m.events, reCapEvent{sub: sub, end: end, pos: pos, next: next})
	return &m.events[len(m.events)-1]
}

// attempt runs the automaton from m.begin, memoising after the plain
// search has taken too long.
func (m *reMachine) attempt() reResult {
	if m.memo == nil && !m.re.alwaysMemo {
		budget := 16*len(m.re.prog)*int(m.n-m.begin+1) + 4096
		if r, ok := m.run(budget); ok {
			return r
		}
		// Too long: start again with memoisation (which stays on for the
		// rest of this string).
		clear(m.rep)
		m.act = m.act[:0]
	}
	if m.memo == nil {
		m.memo = map[uint64]reResult{}
	}
	r, _ := m.run(-1)
	return r
}

// run explores from the start state at m.begin; with budget >= 0 it gives
// up (ok false) after that many steps.
func (m *reMachine) run(budget int) (r reResult, ok bool) {
	prog := m.re.prog
	s, n := m.s, m.n
	stack := m.stack[:0]
	defer func() { m.stack = stack }()
	pc, pos := m.re.start, m.begin
	steps := 0
	for {
		// Descend from (pc, pos) until a result is known.
	descend:
		for {
			steps++
			if budget >= 0 && steps > budget {
				for i := range stack {
					stack[i] = reFrame{}
				}
				stack = stack[:0]
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
				if pos < n && m.re.sets[st.arg].has(s[pos]) {
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
				stack = append(stack, reFrame{pc: pc, pos: pos})
				pc = st.next
			case reOpAlt, reOpRepeat:
				memo := false
				if m.memo != nil && pos > m.begin && (len(m.act) == 0 || m.act[len(m.act)-1] != pos) {
					if e, ok := m.memo[uint64(pc)<<32|uint64(pos)]; ok {
						r = e
						break descend
					}
					memo = true
				}
				if st.op == reOpAlt {
					stack = append(stack, reFrame{pc: pc, pos: pos, phase: 1, memo: memo})
					pc = st.alt
					continue
				}
				c := m.rep[st.arg]
				switch {
				case c.n == 0 || c.pos != pos:
					stack = append(stack, reFrame{pc: pc, pos: pos, phase: 1, memo: memo, saved: c})
					m.rep[st.arg] = reRep{pos: pos, n: 1}
					m.act = append(m.act, pos)
					pc = st.alt
				case c.n < 2:
					stack = append(stack, reFrame{pc: pc, pos: pos, phase: 1, memo: memo, incr: true})
					m.rep[st.arg].n++
					pc = st.alt
				default:
					// No third iteration at one position: only the exit.
					stack = append(stack, reFrame{pc: pc, pos: pos, phase: 2, memo: memo})
					pc = st.next
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
			switch st.op {
			case reOpSubBegin, reOpSubEnd:
				if r.found {
					r.caps = m.newEvent(st.arg, st.op == reOpSubEnd, f.pos, r.caps)
				}
			case reOpAlt:
				if f.phase == 1 {
					// A match that ends at the end of the input cannot be
					// beaten (and regex_match's matches all end there).
					if !r.found || (!m.exact && r.end != n) {
						f.left = r
						f.phase = 2
						pc, pos = st.next, f.pos
						break ascend
					}
				} else if f.left.found && (!r.found || f.left.end >= r.end) {
					r = f.left
				}
			case reOpRepeat:
				if f.phase == 1 {
					if f.incr {
						m.rep[st.arg].n--
					} else {
						m.rep[st.arg] = f.saved
						m.act = m.act[:len(m.act)-1]
					}
					if !r.found {
						f.phase = 2
						pc, pos = st.next, f.pos
						break ascend
					}
				}
			}
			if f.memo {
				m.memo[uint64(f.pc)<<32|uint64(f.pos)] = r
			}
			*f = reFrame{}
			stack = stack[:len(stack)-1]
		}
	}
}

// search finds the first match starting at from or later, as libstdc++'s
// regex_search does with the given flags: the start positions are tried in
// order, and after the first ^ no longer matches (match_prev_avail).
func (m *reMachine) search(from int32, prevAvail, notNull, continuous bool) (reResult, int32, bool) {
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
		if r := m.attempt(); r.found {
			return r, b, true
		}
	}
	return reResult{}, 0, false
}

// reMatch is one match: the extents of the whole match (group 0) and of
// every group, -1 for groups that did not take part.
type reMatch []int32

// groups turns a result into group extents.
func (m *reMachine) groups(r reResult, begin int32) reMatch {
	g := make(reMatch, 2*m.re.nsub)
	for i := range g {
		g[i] = -1
	}
	g[0], g[1] = begin, r.end
	starts := make([]int32, m.re.nsub)
	for e := r.caps; e != nil; e = e.next {
		if !e.end {
			starts[e.sub] = e.pos
		} else {
			g[2*e.sub], g[2*e.sub+1] = starts[e.sub], e.pos
		}
	}
	return g
}

// matchString reports whether re matches all of s (regex_match), and the
// groups.
func (re *posixRegex) matchString(s string) (reMatch, bool) {
	m := re.machine(s, true)
	defer m.release()
	if !re.nullable && (len(s) == 0 || !re.first.has(s[0])) {
		return nil, false
	}
	m.begin = 0
	r := m.attempt()
	if !r.found {
		return nil, false
	}
	return m.groups(r, 0), true
}

// splitString finds the matches of re in s as std::regex_iterator does:
// after an empty match, a non-empty match at the same position is tried
// before moving on; after a non-empty match, the next search starts at its
// end (and may find an empty match there).
func (re *posixRegex) splitString(s string) []reMatch {
	m := re.machine(s, false)
	defer m.release()
	r, b, ok := m.search(0, false, false, false)
	if !ok {
		return nil
	}
	out := []reMatch{m.groups(r, b)}
	prevAvail := false
	for {
		last := out[len(out)-1]
		start := last[1]
		if last[0] == last[1] {
			if start == m.n {
				break
			}
			if r, b, ok := m.search(start, prevAvail, true, true); ok {
				out = append(out, m.groups(r, b))
				continue
			}
			start++
		}
		prevAvail = true
		r, b, ok := m.search(start, true, false, false)
		if !ok {
			break
		}
		out = append(out, m.groups(r, b))
	}
	return out
}
