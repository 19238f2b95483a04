package refscan

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/govix/govix/nixcompat/nixbase32"
)

// nixSearch is Nix 2.8's search() from references.cc, written plainly: the
// reference semantics the Scanner must reproduce.
func nixSearch(s []byte, hashes map[string]bool, seen map[string]bool) {
	for i := 0; i+HashLen <= len(s); {
		match := true
		for j := HashLen - 1; j >= 0; j-- {
			if symbols[s[i+j]] == 0 {
				i += j + 1
				match = false
				break
			}
		}
		if !match {
			continue
		}
		ref := string(s[i : i+HashLen])
		if hashes[ref] {
			delete(hashes, ref)
			seen[ref] = true
		}
		i++
	}
}

// nixScan is Nix's RefScanSink over a sequence of writes.
func nixScan(needles []string, writes [][]byte) []string {
	hashes := map[string]bool{}
	for _, n := range needles {
		hashes[n] = true
	}
	seen := map[string]bool{}
	var tail []byte
	for _, data := range writes {
		tailLen := min(len(data), HashLen)
		s := append(slices.Clone(tail), data[:tailLen]...)
		nixSearch(s, hashes, seen)
		nixSearch(data, hashes, seen)
		rest := HashLen - tailLen
		if rest < len(tail) {
			tail = tail[len(tail)-rest:]
		}
		tail = append(tail, data[len(data)-tailLen:]...)
	}
	var out []string
	for _, n := range needles {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out
}

func randomHash(r *rand.Rand) string {
	b := make([]byte, HashLen)
	for i := range b {
		b[i] = nixbase32.Alphabet[r.IntN(32)]
	}
	return string(b)
}

func scanAll(t testing.TB, needles []string, writes [][]byte) []string {
	t.Helper()
	set, err := NewSet(needles)
	if err != nil {
		t.Fatal(err)
	}
	sc := set.NewScanner()
	for _, w := range writes {
		if n, err := sc.Write(w); n != len(w) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	return sc.FoundNeedles()
}

func TestCases(t *testing.T) {
	a := "0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i"
	b := "3q2xrljh7sd3vfzz4dhwmmn3gsqyv7g1"
	c := "7x1d0hq1m1xn3kxc5kx0lx4ksn5wnr2j"
	needles := []string{a, b, c}
	for _, tc := range []struct {
		name  string
		input string
		want  []string
	}{
		{"empty", "", nil},
		{"alone", a, []string{a}},
		{"store path", "/nix/store/" + a + "-hello/bin/hello", []string{a}},
		{"two", "x" + b + "\x00" + a + "\n", []string{a, b}},
		{"adjacent", a + b, []string{a, b}},
		{"inside a longer run", "zz" + c + "zz", []string{c}},
		{"overlapping", a[:16] + a + b[16:], []string{a}},
		{"truncated", a[:31], nil},
		{"invalid char inside", a[:10] + "e" + a[11:], nil},
		{"upper case", strings.ToUpper(a), nil},
		{"binary around", "\xff\x00\x01" + c + "\x80", []string{c}},
		{"at the end", strings.Repeat("-", 100) + b, []string{b}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every way of cutting the input in two, and byte by byte.
			splits := [][][]byte{{[]byte(tc.input)}}
			for i := 0; i <= len(tc.input); i++ {
				splits = append(splits, [][]byte{[]byte(tc.input[:i]), []byte(tc.input[i:])})
			}
			var bytewise [][]byte
			for i := range len(tc.input) {
				bytewise = append(bytewise, []byte{tc.input[i]})
			}
			splits = append(splits, bytewise)
			for _, writes := range splits {
				got := scanAll(t, needles, writes)
				if !slices.Equal(got, tc.want) {
					t.Fatalf("writes %q: found %q, want %q", writes, got, tc.want)
				}
				if nix := nixScan(needles, writes); !slices.Equal(nix, tc.want) {
					t.Fatalf("Nix's algorithm finds %q in %q, the test wants %q", nix, writes, tc.want)
				}
			}
		})
	}
}

// TestAgainstNixAlgorithm plants needles in random data of several kinds
// and compares with Nix's algorithm over random write sizes.
func TestAgainstNixAlgorithm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabets := map[string]string{
		"binary": "",
		"nix32":  nixbase32.Alphabet,
		"text":   nixbase32.Alphabet + " \n-/.e",
	}
	for name, alpha := range alphabets {
		for iter := range 200 {
			needles := make([]string, 1+r.IntN(20))
			for i := range needles {
				needles[i] = randomHash(r)
			}
			data := make([]byte, r.IntN(5000))
			for i := range data {
				if alpha == "" {
					data[i] = byte(r.IntN(256))
				} else {
					data[i] = alpha[r.IntN(len(alpha))]
				}
			}
			for range r.IntN(5) {
				n := needles[r.IntN(len(needles))]
				if len(data) >= HashLen {
					copy(data[r.IntN(len(data)-HashLen+1):], n)
				}
			}
			var writes [][]byte
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 1+r.IntN(100))
				writes = append(writes, rest[:n])
				rest = rest[n:]
			}
			got := scanAll(t, needles, writes)
			want := nixScan(needles, writes)
			if !slices.Equal(got, want) {
				t.Fatalf("%s #%d: found %q, Nix's algorithm %q", name, iter, got, want)
			}
		}
	}
}

func TestNewSetErrors(t *testing.T) {
	ok := "0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i"
	for _, needles := range [][]string{
		{"short"},
		{ok + "0"},
		{strings.Replace(ok, "0", "e", 1)},
		{strings.Replace(ok, "0", "\x00", 1)},
		{ok, ok},
	} {
		if _, err := NewSet(needles); err == nil {
			t.Errorf("NewSet(%q) accepted", needles)
		}
	}
}

func TestFoundAndReset(t *testing.T) {
	needles := []string{"0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i", "3q2xrljh7sd3vfzz4dhwmmn3gsqyv7g1"}
	set, err := NewSet(needles)
	if err != nil {
		t.Fatal(err)
	}
	sc := set.NewScanner()
	fmt.Fprintf(sc, "%s and %s", needles[1], needles[0][:20])
	if got := sc.Found(); !slices.Equal(got, []int{1}) {
		t.Errorf("Found = %v", got)
	}
	fmt.Fprintf(sc, "%s", needles[0][20:])
	if got := sc.Found(); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("Found after the split needle = %v", got)
	}
	sc.Reset()
	fmt.Fprintf(sc, "%s", needles[0][20:])
	if got := sc.Found(); len(got) != 0 {
		t.Errorf("Found after Reset = %v", got)
	}
}

func FuzzScanner(f *testing.F) {
	f.Add([]byte("/nix/store/0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i-x"), uint8(7))
	f.Add(bytes.Repeat([]byte("a"), 100), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		needles := []string{"0rzvrsjyk9p8v1ds0rr2k9r1b0r6dn1i", strings.Repeat("a", 32)}
		// Take needles from the data too, so that they can be found.
		for i := 0; i+HashLen <= len(data) && len(needles) < 5; i += 41 {
			w := string(data[i : i+HashLen])
			if validNeedle(w) && !slices.Contains(needles, w) {
				needles = append(needles, w)
			}
		}
		size := int(chunk) + 1
		var writes [][]byte
		for rest := data; len(rest) > 0; {
			n := min(len(rest), size)
			writes = append(writes, rest[:n])
			rest = rest[n:]
		}
		if got, want := scanAll(t, needles, writes), nixScan(needles, writes); !slices.Equal(got, want) {
			t.Fatalf("found %q, Nix's algorithm %q", got, want)
		}
	})
}

func validNeedle(n string) bool {
	for i := range len(n) {
		if symbols[n[i]] == 0 {
			return false
		}
	}
	return len(n) == HashLen
}
