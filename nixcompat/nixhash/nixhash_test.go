package nixhash

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// sha256("abc") in every encoding, as Nix prints it.
const (
	abc16  = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	abc32  = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"
	abc64  = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
	abcSRI = "sha256-" + abc64
)

func TestSumAndFormat(t *testing.T) {
	h := SumString(SHA256, "abc")
	if h != Sum(SHA256, []byte("abc")) {
		t.Fatal("SumString and Sum disagree")
	}
	tests := []struct {
		enc      Encoding
		withAlgo bool
		want     string
	}{
		{Base16, false, abc16},
		{Base16, true, "sha256:" + abc16},
		{Nix32, false, abc32},
		{Nix32, true, "sha256:" + abc32},
		{Base64, false, abc64},
		{Base64, true, "sha256:" + abc64},
		{SRI, false, abcSRI},
		{SRI, true, abcSRI},
	}
	for _, tt := range tests {
		if got := h.Format(tt.enc, tt.withAlgo); got != tt.want {
			t.Errorf("Format(%v, %v) = %q, want %q", tt.enc, tt.withAlgo, got, tt.want)
		}
	}
	if h.Base16() != abc16 || h.Nix32() != abc32 || h.Base64() != abc64 || h.SRI() != abcSRI || h.String() != abcSRI {
		t.Error("shorthand formatters disagree with Format")
	}
	hs, n, err := SumReader(SHA256, strings.NewReader("abc"))
	if err != nil || n != 3 || hs != h {
		t.Errorf("SumReader = %v, %d, %v", hs, n, err)
	}
}

func TestParseForms(t *testing.T) {
	want := SumString(SHA256, "abc")
	tests := []struct {
		in   string
		algo Algorithm
	}{
		{abc16, SHA256},
		{strings.ToUpper(abc16), SHA256},
		{abc32, SHA256},
		{abc64, SHA256},
		{"sha256:" + abc16, 0},
		{"sha256:" + abc32, 0},
		{"sha256:" + abc64, 0},
		{"sha256:" + abc32, SHA256},
		{abcSRI, 0},
		{abcSRI, SHA256},
		{"sha256-" + strings.TrimRight(abc64, "="), 0},  // Nix tolerates missing padding
		{"sha256-" + abc64[:20] + "\n" + abc64[20:], 0}, // and newlines
		{"sha256-" + abc64 + "trailing junk is ignored", 0},
	}
	for _, tt := range tests {
		got, err := ParseAny(tt.in, tt.algo)
		if err != nil {
			t.Errorf("ParseAny(%q, %v): %v", tt.in, tt.algo, err)
			continue
		}
		if got != want {
			t.Errorf("ParseAny(%q, %v) = %v, want %v", tt.in, tt.algo, got, want)
		}
	}
	if got, err := ParseAnyPrefixed("sha256:" + abc32); err != nil || got != want {
		t.Errorf("ParseAnyPrefixed = %v, %v", got, err)
	}
	if got, err := ParseNonSRIUnprefixed(abc64, SHA256); err != nil || got != want {
		t.Errorf("ParseNonSRIUnprefixed = %v, %v", got, err)
	}
	if got, err := ParseSRI(abcSRI); err != nil || got != want {
		t.Errorf("ParseSRI = %v, %v", got, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		fn   func() (Hash, error)
		msg  string
	}{
		{"no type", func() (Hash, error) { return ParseAny(abc16, 0) }, "does not include a type, nor is the type otherwise known from context"},
		{"type mismatch", func() (Hash, error) { return ParseAny("sha1:"+abc16, SHA256) }, "should have type 'sha256'"},
		{"unknown algo", func() (Hash, error) { return ParseAny("sha3:"+abc16, 0) }, "unknown hash algorithm 'sha3'"},
		{"unknown SRI algo", func() (Hash, error) { return ParseAny("blake3-"+abc64, 0) }, "unknown hash algorithm 'blake3'"},
		{"wrong length", func() (Hash, error) { return ParseAny(abc16[1:], SHA256) }, "has wrong length for hash type 'sha256'"},
		{"bad base16", func() (Hash, error) { return ParseAny("g"+abc16[1:], SHA256) }, "invalid base-16 hash"},
		{"bad nix32 char", func() (Hash, error) { return ParseAny("e"+abc32[1:], SHA256) }, "invalid base-32 hash"},
		{"nix32 padding bits", func() (Hash, error) { return ParseAny("z"+abc32[1:], SHA256) }, "invalid base-32 hash"},
		{"bad base64 char", func() (Hash, error) { return ParseAny("!"+abc64[1:], SHA256) }, "invalid character in Base64 string: '!'"},
		{"short SRI", func() (Hash, error) { return ParseAny("sha256-AAAA", 0) }, "invalid SRI hash 'AAAA'"},
		{"sha1 as SRI of sha256 length", func() (Hash, error) { return ParseSRI("sha1-" + abc64) }, "invalid SRI hash"},
		{"prefixed needs type", func() (Hash, error) { return ParseAnyPrefixed(abc16) }, "does not include a type"},
		{"not SRI", func() (Hash, error) { return ParseSRI(abc16) }, "is not SRI"},
		{"empty", func() (Hash, error) { return ParseAny("", SHA256) }, "has wrong length"},
	}
	for _, tt := range tests {
		_, err := tt.fn()
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: error %v is not ErrBadHash", tt.name, err)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.msg)
		}
	}
}

func TestCompress(t *testing.T) {
	d := make([]byte, 32)
	for i := range d {
		d[i] = byte(i)
	}
	got := Compress(d, 20)
	for i := range got {
		want := byte(i)
		if i < 12 {
			want ^= byte(i + 20)
		}
		if got[i] != want {
			t.Fatalf("Compress byte %d = %d, want %d", i, got[i], want)
		}
	}
}

func randomHashes(r *rand.Rand, a Algorithm, n int) []Hash {
	var hs []Hash
	buf := make([]byte, a.Size())
	for i := 0; i < n; i++ {
		for j := range buf {
			buf[j] = byte(r.Uint32())
		}
		if i == 0 {
			clear(buf)
		}
		h, err := New(a, buf)
		if err != nil {
			panic(err)
		}
		hs = append(hs, h)
	}
	return hs
}

// nixLines runs a Nix command and returns its stdout lines.
func nixLines(t *testing.T, name string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return strings.Fields(string(out))
}

// TestConvertAgainstNix converts random digests of every algorithm with
// nix-hash and nix hash to-*, and compares every encoding with ours.
func TestConvertAgainstNix(t *testing.T) {
	bin := testutil.RequireNix(t)
	r := rand.New(rand.NewPCG(7, 8))
	for _, a := range Algorithms {
		hs := randomHashes(r, a, 20)
		var b16, b32 []string
		for _, h := range hs {
			b16 = append(b16, h.Base16())
			b32 = append(b32, h.Nix32())
		}
		check := func(what string, got []string, enc Encoding, withAlgo bool) {
			t.Helper()
			if len(got) != len(hs) {
				t.Fatalf("%s %v: %d lines for %d hashes", what, a, len(got), len(hs))
			}
			for i, h := range hs {
				if want := h.Format(enc, withAlgo); got[i] != want {
					t.Errorf("%s %v: Nix says %q, govix %q", what, a, got[i], want)
				}
			}
		}
		check("nix-hash --to-base32", nixLines(t, bin+"/nix-hash", append([]string{"--type", a.String(), "--to-base32"}, b16...)...), Nix32, false)
		check("nix-hash --to-base16", nixLines(t, bin+"/nix-hash", append([]string{"--type", a.String(), "--to-base16"}, b32...)...), Base16, false)
		nix := func(sub string, in []string) []string {
			return nixLines(t, bin+"/nix", append([]string{"--experimental-features", "nix-command", "hash", sub, "--type", a.String()}, in...)...)
		}
		check("nix hash to-sri", nix("to-sri", b32), SRI, true)
		check("nix hash to-base64", nix("to-base64", b16), Base64, false)
		check("nix hash to-base32", nix("to-base32", b16), Nix32, false)

		// And back: our parser reads every form Nix printed.
		for _, h := range hs {
			for _, enc := range []Encoding{Base16, Nix32, Base64, SRI} {
				for _, withAlgo := range []bool{false, true} {
					s := h.Format(enc, withAlgo)
					got, err := ParseAny(s, a)
					if err != nil || got != h {
						t.Errorf("ParseAny(%q, %v) = %v, %v; want %v", s, a, got, err, h)
					}
				}
			}
		}
	}
}

// TestParseLikeNix feeds odd inputs to both `nix hash to-base16` and
// ParseAny, and requires the same verdict and the same digest.
func TestParseLikeNix(t *testing.T) {
	bin := testutil.RequireNix(t)
	inputs := []struct {
		s    string
		algo Algorithm
	}{
		{abc16, SHA256},
		{strings.ToUpper(abc16), SHA256},
		{abc32, SHA256},
		{"z" + abc32[1:], SHA256},
		{"1" + abc32[1:], SHA256},
		{abc64, SHA256},
		{strings.TrimRight(abc64, "="), SHA256},
		{abcSRI, 0},
		{"sha256-" + strings.TrimRight(abc64, "="), 0},
		{"sha256-" + abc64 + "==", 0},
		{"sha256-" + abc64 + "xyz", 0},
		{"sha256-" + abc64[:43] + "B", 0},
		{"sha256-" + abc64[:42], 0},
		{"sha256:" + abc64, 0},
		{"sha256:" + abcSRI, 0},
		{"sha512-" + abc64, 0},
		{"md5:" + abc16[:32], 0},
		{"md5:" + abc16[:32], SHA256},
		{"sha1:" + abc16[:40], SHA1},
		{abc16, 0},
		{"", SHA256},
		{"sha256:", 0},
		{"sha256-", 0},
		{"SHA256:" + abc16, 0},
		{"3y8bwfr609h3lh9ch0izcqq7fl", MD5},
		{"3y8bwfr609h3lh9ch0izcqq7fm", MD5},
		{"9y8bwfr609h3lh9ch0izcqq7fl", MD5},
		{"1B2M2Y8AsgTpgAmY7PhCfg==", MD5},
		{"1B2M2Y8AsgTpgAmY7PhCfg=!", MD5},
		{"2jmj7l5rSw0yVb/vlWAYkK/YBwk=", SHA1},
		{"sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk", 0},
	}
	for _, in := range inputs {
		args := []string{"--experimental-features", "nix-command", "hash", "to-base16"}
		if in.algo != 0 {
			args = append(args, "--type", in.algo.String())
		}
		args = append(args, "--", in.s)
		cmd := exec.Command(bin+"/nix", args...)
		out, nixErr := cmd.Output()
		h, err := ParseAny(in.s, in.algo)
		switch {
		case nixErr != nil && err != nil:
			// both reject
		case nixErr != nil:
			t.Errorf("ParseAny(%q, %v) = %v, but Nix rejects it", in.s, in.algo, h)
		case err != nil:
			t.Errorf("ParseAny(%q, %v): %v, but Nix accepts it: %s", in.s, in.algo, err, out)
		case strings.TrimSpace(string(out)) != h.Base16():
			t.Errorf("ParseAny(%q, %v) = %s, Nix says %s", in.s, in.algo, h.Base16(), out)
		}
	}
}

// TestTruncateAgainstNix checks Compress against nix-hash --truncate.
func TestTruncateAgainstNix(t *testing.T) {
	bin := testutil.RequireNix(t)
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, []byte("hello, nix\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := nixLines(t, bin+"/nix-hash", "--flat", "--truncate", "--type", "sha256", "--base32", f)
	h := SumString(SHA256, "hello, nix\n")
	c, _ := New(SHA1, h.Compress(20)) // any 20-byte algorithm prints the same nix32
	if got[0] != c.Nix32() {
		t.Errorf("nix-hash --truncate = %s, Compress gives %s", got[0], c.Nix32())
	}
}

func FuzzParseAny(f *testing.F) {
	for _, s := range []string{abc16, abc32, abc64, abcSRI, "sha256:" + abc32, "md5-1B2M2Y8AsgTpgAmY7PhCfg==", "sha1:", "x-y:z"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(SHA256))
	}
	f.Fuzz(func(t *testing.T, s string, a uint8) {
		algo := Algorithm(a % 5)
		h, err := ParseAny(s, algo)
		if err != nil {
			if !errors.Is(err, ErrBadHash) {
				t.Fatalf("ParseAny(%q): error %v is not ErrBadHash", s, err)
			}
			return
		}
		if algo != 0 && h.Algorithm() != algo {
			t.Fatalf("ParseAny(%q, %v) has algorithm %v", s, algo, h.Algorithm())
		}
		for _, enc := range []Encoding{Base16, Nix32, Base64, SRI} {
			back, err := ParseAnyPrefixed(h.Format(enc, true))
			if err != nil || back != h {
				t.Fatalf("%q → %v → %q → %v, %v", s, h, h.Format(enc, true), back, err)
			}
		}
	})
}

func BenchmarkParseNix32(b *testing.B) {
	for b.Loop() {
		if _, err := ParseAny("sha256:"+abc32, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormatNix32(b *testing.B) {
	h := SumString(SHA256, "abc")
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = h.AppendFormat(buf[:0], Nix32, true)
	}
}
