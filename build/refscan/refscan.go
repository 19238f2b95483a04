// Package refscan finds which store path hashes occur in a stream of
// bytes, the way Nix discovers the references of a build output.
//
// A store path /nix/store/<hash>-<name> is referenced by an output when
// its 32-character nix32 hash part appears anywhere in the output's
// serialisation: file contents, symlink targets and (since Nix scans the
// NAR) file names. Nix's RefScanSink looks at every 32-byte window made of
// nix32 characters; this package finds the same matches, including those
// split between two writes, but skips ahead over bytes that cannot be part
// of a hash and checks candidate windows against a small prefix filter
// before it looks them up, so that its cost hardly depends on the number of
// needles.
//
// Feeding a NAR serialisation of a path to a Scanner gives exactly the set
// of references Nix finds for it.
package refscan

import (
	"fmt"

	"github.com/govix/govix/nixcompat/nixbase32"
)

// HashLen is the length of a needle: the hash part of a store path.
const HashLen = 32

// symbols maps a byte to 1 + its value as a nix32 digit, or 0.
var symbols = func() (t [256]uint8) {
	for i := range len(nixbase32.Alphabet) {
		t[nixbase32.Alphabet[i]] = uint8(i) + 1
	}
	return t
}()

const (
	filterChars = 4                    // characters that index the filter
	filterBits  = 5 * filterChars      // 20 bits
	filterWords = 1 << filterBits / 64 // 16384 words, 128 KiB
)

// A Set is the needles to look for. It is immutable and may be shared by
// any number of Scanners, also concurrently.
type Set struct {
	needles []string
	index   map[[HashLen]byte]int
	// filter has a bit for every possible first filterChars characters of
	// a needle; a window whose bit is clear is not looked up.
	filter []uint64
}

// NewSet prepares needles for scanning. Each must be HashLen characters of
// the nix32 alphabet, and no two may be equal.
func NewSet(needles []string) (*Set, error) {
	s := &Set{
		needles: needles,
		index:   make(map[[HashLen]byte]int, len(needles)),
		filter:  make([]uint64, filterWords),
	}
	for i, n := range needles {
		if len(n) != HashLen {
			return nil, fmt.Errorf("refscan: needle %q is not %d characters long", n, HashLen)
		}
		for j := range len(n) {
			if symbols[n[j]] == 0 {
				return nil, fmt.Errorf("refscan: needle %q has %q, which is not a nix32 character", n, n[j])
			}
		}
		var key [HashLen]byte
		copy(key[:], n)
		if _, dup := s.index[key]; dup {
			return nil, fmt.Errorf("refscan: needle %q given twice", n)
		}
		s.index[key] = i
		f := filterIndex(key[:])
		s.filter[f/64] |= 1 << (f % 64)
	}
	return s, nil
}

// Needles returns the needles the Set was made with.
func (s *Set) Needles() []string { return s.needles }

func filterIndex(w []byte) uint32 {
	_ = w[filterChars-1]
	return uint32(symbols[w[0]]-1)<<15 | uint32(symbols[w[1]]-1)<<10 | uint32(symbols[w[2]]-1)<<5 | uint32(symbols[w[3]]-1)
}

// NewScanner returns a Scanner looking for s's needles.
func (s *Set) NewScanner() *Scanner {
	return &Scanner{set: s, found: make([]bool, len(s.needles))}
}

// A Scanner is an io.Writer that records which needles of its Set occur in
// the bytes written to it. It is not safe for concurrent use.
type Scanner struct {
	set    *Set
	found  []bool
	nfound int
	// carry is the end of what was written so far when it is a run of
	// nix32 characters, at most HashLen-1 of them: the start of a needle
	// the next write may complete.
	carry  [HashLen - 1]byte
	ncarry int
}

// Write scans p. It never fails.
func (sc *Scanner) Write(p []byte) (int, error) {
	if sc.nfound == len(sc.found) {
		return len(p), nil // everything found: nothing more to learn
	}
	if sc.ncarry > 0 && len(p) > 0 {
		sc.scanBoundary(p)
	}
	sc.scan(p)
	sc.updateCarry(p)
	return len(p), nil
}

// scanBoundary checks the windows that start in the carry and end in p.
func (sc *Scanner) scanBoundary(p []byte) {
	var buf [2*HashLen - 2]byte
	n := copy(buf[:], sc.carry[:sc.ncarry])
	for _, c := range p[:min(len(p), HashLen-1)] {
		if symbols[c] == 0 {
			break
		}
		buf[n] = c
		n++
	}
	for i := 0; i < sc.ncarry && i+HashLen <= n; i++ {
		sc.check(buf[i : i+HashLen])
	}
}

// updateCarry keeps the trailing run of nix32 characters of everything
// written so far, up to HashLen-1 bytes.
func (sc *Scanner) updateCarry(p []byte) {
	run := 0
	for run < len(p) && run < HashLen-1 && symbols[p[len(p)-1-run]] != 0 {
		run++
	}
	if run == len(p) && run < HashLen-1 {
		// p is a run of nix32 characters shorter than a needle: append it
		// to the carry, dropping the oldest bytes.
		keep := min(sc.ncarry, HashLen-1-run)
		copy(sc.carry[:], sc.carry[sc.ncarry-keep:sc.ncarry])
		copy(sc.carry[keep:], p)
		sc.ncarry = keep + run
		return
	}
	sc.ncarry = copy(sc.carry[:], p[len(p)-run:])
}

// scan finds the windows of HashLen nix32 characters inside p. Like
// Boyer-Moore it looks at the last byte of a window first: a byte outside
// the alphabet rules out every window containing it, so on most data it
// skips HashLen bytes at a time.
func (sc *Scanner) scan(p []byte) {
	n := len(p)
	i := 0
	for i+HashLen <= n {
		if symbols[p[i+HashLen-1]] == 0 {
			i += HashLen
			continue
		}
		j := i + HashLen - 2
		for j >= i && symbols[p[j]] != 0 {
			j--
		}
		if j >= i {
			i = j + 1
			continue
		}
		// p[i:i+HashLen] is a run of nix32 characters; every window in
		// the whole run is a candidate.
		end := i + HashLen
		for end < n && symbols[p[end]] != 0 {
			end++
		}
		sc.checkRun(p[i:end])
		i = end + 1
	}
}

// checkRun checks every window of run, a run of nix32 characters at least
// HashLen long. The filter index rolls along: each step shifts in one
// character.
func (sc *Scanner) checkRun(run []byte) {
	filter := sc.set.filter
	f := filterIndex(run)
	for k := 0; ; k++ {
		if filter[f/64]&(1<<(f%64)) != 0 {
			sc.lookup(run[k : k+HashLen])
		}
		if k+HashLen >= len(run) {
			return
		}
		f = (f<<5 | uint32(symbols[run[k+filterChars]]-1)) & (1<<filterBits - 1)
	}
}

// check checks one window of nix32 characters.
func (sc *Scanner) check(w []byte) {
	f := filterIndex(w)
	if sc.set.filter[f/64]&(1<<(f%64)) != 0 {
		sc.lookup(w)
	}
}

func (sc *Scanner) lookup(w []byte) {
	if i, ok := sc.set.index[[HashLen]byte(w)]; ok && !sc.found[i] {
		sc.found[i] = true
		sc.nfound++
	}
}

// Found returns the indices (into the Set's needles) of the needles seen so
// far, in increasing order.
func (sc *Scanner) Found() []int {
	out := make([]int, 0, sc.nfound)
	for i, f := range sc.found {
		if f {
			out = append(out, i)
		}
	}
	return out
}

// FoundNeedles returns the needles seen so far, in the Set's order.
func (sc *Scanner) FoundNeedles() []string {
	out := make([]string, 0, sc.nfound)
	for i, f := range sc.found {
		if f {
			out = append(out, sc.set.needles[i])
		}
	}
	return out
}

// Reset forgets what was found and written, to scan another stream.
func (sc *Scanner) Reset() {
	clear(sc.found)
	sc.nfound = 0
	sc.ncarry = 0
}
