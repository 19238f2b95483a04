package storepath

import (
	"errors"
	"strings"
	"testing"

	"github.com/govix/govix/nixcompat/nixhash"
)

const hashPart = "0123456789abcdfghijklmnpqrsvwxyz"

func TestParseBase(t *testing.T) {
	tests := []struct {
		in  string
		err string // substring; "" for success
	}{
		{hashPart + "-foo", ""},
		{hashPart + "-foo-1.2.3.tar.gz", ""},
		{hashPart + "-A+b-c.d_e?f=g", ""},
		{hashPart + "-.", ""},  // Nix 2.8 has no rule against these
		{hashPart + "-..", ""}, //
		{hashPart + "-.foo", ""},
		{hashPart + "-.-x", ""},
		{hashPart + "-" + strings.Repeat("a", 211), ""},
		{hashPart + "-" + strings.Repeat("a", 212), "has a name longer than 211 characters"},
		{hashPart + "-", "has an empty name"},
		{hashPart, "is too short to be a valid store path"},
		{"", "is too short"},
		{hashPart + "_foo", "does not have a '-' after its hash part"},
		{hashPart + "-foo bar", "contains illegal character ' '"},
		{hashPart + "-foo/bar", "contains illegal character '/'"},
		{hashPart + "-foo\x00", `contains illegal character '\x00'`},
		{hashPart + "-f\xc3\xa9", `contains illegal character '\xc3'`},
		{"e" + hashPart[1:] + "-foo", "contains illegal base-32 character 'e'"},
		{"0123456789abcdfghijklmnpqrsvwxyZ-foo", "illegal base-32 character 'Z'"},
	}
	for _, tt := range tests {
		p, err := ParseBase(tt.in)
		if tt.err == "" {
			if err != nil {
				t.Errorf("ParseBase(%q): %v", tt.in, err)
			} else if p.String() != tt.in {
				t.Errorf("ParseBase(%q).String() = %q", tt.in, p.String())
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseBase(%q) = %v, want error containing %q", tt.in, p, tt.err)
			continue
		}
		if !errors.Is(err, ErrBadStorePath) {
			t.Errorf("ParseBase(%q): error %v is not ErrBadStorePath", tt.in, err)
		}
		if !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseBase(%q) error %q, want it to contain %q", tt.in, err, tt.err)
		}
	}
}

func TestParseAbsolute(t *testing.T) {
	base := hashPart + "-foo"
	d := DefaultStoreDir
	ok := []string{
		"/nix/store/" + base,
		"/nix/store/" + base + "/",
		"/nix//store/" + base,
		"/nix/store/./" + base,
		"/nix/store/../store/" + base,
	}
	for _, s := range ok {
		p, err := d.Parse(s)
		if err != nil {
			t.Errorf("Parse(%q): %v", s, err)
			continue
		}
		if p.String() != base || p.Name != "foo" || p.HashPart() != hashPart {
			t.Errorf("Parse(%q) = %v", s, p)
		}
		if got := d.Print(p); got != "/nix/store/"+base {
			t.Errorf("Print = %q", got)
		}
	}
	bad := []string{
		"nix/store/" + base,
		"/nix/store",
		"/nix/store/",
		"/nix/store/" + base + "/bin",
		"/nix/other/" + base,
		"/nix/storex/" + base,
		"",
	}
	for _, s := range bad {
		if p, err := d.Parse(s); err == nil {
			t.Errorf("Parse(%q) = %v, want error", s, p)
		}
	}
	if _, err := d.ParseCanonical("/nix/store/" + base); err != nil {
		t.Errorf("ParseCanonical: %v", err)
	}
	for _, s := range ok[1:] {
		if _, err := d.ParseCanonical(s); err == nil {
			t.Errorf("ParseCanonical(%q) accepted a non-canonical path", s)
		}
	}
	other := StoreDir("/tmp/s")
	if _, err := other.Parse("/tmp/s/" + base); err != nil {
		t.Errorf("Parse in %s: %v", other, err)
	}
	if _, err := other.Parse("/nix/store/" + base); err == nil {
		t.Errorf("Parse in %s accepted a /nix/store path", other)
	}
}

func TestSplitPath(t *testing.T) {
	d := DefaultStoreDir
	tests := []struct{ in, base, rest string }{
		{"/nix/store/" + hashPart + "-foo", hashPart + "-foo", ""},
		{"/nix/store/" + hashPart + "-foo/bin/sh", hashPart + "-foo", "/bin/sh"},
		{"/nix/store/" + hashPart + "-foo/bin/", hashPart + "-foo", "/bin"},
	}
	for _, tt := range tests {
		p, rest, err := d.SplitPath(tt.in)
		if err != nil || p.String() != tt.base || rest != tt.rest {
			t.Errorf("SplitPath(%q) = %v, %q, %v", tt.in, p, rest, err)
		}
	}
	for _, s := range []string{"/nix/store", "/nix/store/", "/usr/bin", "relative/path", "/nix/store/short"} {
		if _, _, err := d.SplitPath(s); err == nil {
			t.Errorf("SplitPath(%q) succeeded", s)
		}
	}
}

func TestStoreDirValidate(t *testing.T) {
	for _, d := range []StoreDir{"/nix/store", "/tmp/x/nix/store"} {
		if err := d.Validate(); err != nil {
			t.Errorf("%q: %v", d, err)
		}
	}
	for _, d := range []StoreDir{"", "/", "nix/store", "/nix/store/", "/nix//store"} {
		if err := d.Validate(); err == nil {
			t.Errorf("%q: no error", d)
		}
	}
}

func TestCompareMatchesStringOrder(t *testing.T) {
	var paths []StorePath
	for i := 0; i < 200; i++ {
		h := nixhash.SumString(nixhash.SHA256, strings.Repeat("x", i))
		var d [DigestSize]byte
		copy(d[:], h.Compress(DigestSize))
		p, err := New(d, []string{"a", "b", "a-1"}[i%3])
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p, p)
	}
	set := SortedSet(paths)
	if len(set) != 200 {
		t.Fatalf("SortedSet kept %d of 200 distinct paths", len(set))
	}
	for i := 1; i < len(set); i++ {
		if !(set[i-1].String() < set[i].String()) {
			t.Fatalf("not sorted by base name: %s, %s", set[i-1], set[i])
		}
	}
}

func TestMakeKnown(t *testing.T) {
	// builtins.toFile "n" "c" in Nix 2.8.
	p, err := DefaultStoreDir.ComputeTextPath("n", []byte("c"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := DefaultStoreDir.Print(p), "/nix/store/mlm4z4paf9x52kjjlb1fsy1akzn0sw9a-n"; got != want {
		t.Errorf("text path = %s, want %s", got, want)
	}
	h := nixhash.SumString(nixhash.SHA256, "x")
	if _, err := DefaultStoreDir.MakeFixedOutputPath(Flat, h, "x", []StorePath{p}, false); err == nil {
		t.Error("flat fixed-output path with references accepted")
	}
	if _, err := DefaultStoreDir.MakeFixedOutputPath(Recursive, nixhash.SumString(nixhash.SHA1, "x"), "x", nil, true); err == nil {
		t.Error("recursive sha1 path with self reference accepted")
	}
	if _, err := DefaultStoreDir.MakeTextPath("x", nixhash.SumString(nixhash.SHA1, "x"), nil); err == nil {
		t.Error("text path with sha1 accepted")
	}
	if _, err := DefaultStoreDir.MakeTextPath("bad name", h, nil); err == nil {
		t.Error("text path with a bad name accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/nix/store/" + hashPart + "-foo",
		"/nix/store/" + hashPart + "-foo/bar",
		"/nix/store/../store/" + hashPart + "-.",
		hashPart + "-x",
		"/nix/store/" + hashPart + "_x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := DefaultStoreDir
		p, err := d.Parse(s)
		if err != nil {
			if !errors.Is(err, ErrBadStorePath) {
				t.Fatalf("Parse(%q): error %v is not ErrBadStorePath", s, err)
			}
		} else {
			printed := d.Print(p)
			q, err := d.ParseCanonical(printed)
			if err != nil || q != p {
				t.Fatalf("Parse(%q) = %v prints as %q, which ParseCanonical reads as %v, %v", s, p, printed, q, err)
			}
			if _, err := New(p.Digest, p.Name); err != nil {
				t.Fatalf("New rejects the parsed path %v: %v", p, err)
			}
		}
		if p, err := ParseBase(s); err == nil && p.String() != s {
			t.Fatalf("ParseBase(%q).String() = %q", s, p.String())
		}
		_, _, _ = d.SplitPath(s)
	})
}

func BenchmarkParse(b *testing.B) {
	s := "/nix/store/" + hashPart + "-bash-5.2p26"
	for b.Loop() {
		if _, err := DefaultStoreDir.Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMakeTextPath(b *testing.B) {
	h := nixhash.SumString(nixhash.SHA256, "contents")
	for b.Loop() {
		if _, err := DefaultStoreDir.MakeTextPath("name", h, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseContentAddress(t *testing.T) {
	const h32 = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"
	good := []string{
		"text:sha256:" + h32,
		"fixed:sha256:" + h32,
		"fixed:r:sha256:" + h32,
		"fixed:r:sha1:y41pq29bc7w17r73s2l8aw49hjbx2l6d",
		"fixed:md5:041yr73blihcww6dj114xnihr2",
	}
	for _, s := range good {
		ca, err := ParseContentAddress(s)
		if err != nil || ca.String() != s {
			t.Errorf("ParseContentAddress(%q) = %+v, %v (prints %q)", s, ca, err, ca.String())
		}
	}
	// Base 16 is read too, and printed as nix32.
	if ca, err := ParseContentAddress("fixed:r:sha1:cd50d19784897085a8d0e3e413f8612b097c03f1"); err != nil || ca.String() != "fixed:r:sha1:y41pq29bc7w17r73s2l8aw49hjbx2l6d" {
		t.Errorf("base-16 content address: %v, %v", ca, err)
	}
	bad := map[string]string{
		"sha256:" + h32: "prefix 'sha256' is unrecognized",
		"text":          "not in the form",
		"text:sha1:y41pq29bc7w17r73s2l8aw49hjbx2l6d": "should use sha256",
		"fixed:r:" + h32:          "must be in form '<algo>:<hash>'",
		"fixed:sha3:" + h32:       "unknown hash algorithm 'sha3'",
		"fixed:sha256:" + h32[1:]: "wrong length",
	}
	for s, msg := range bad {
		if _, err := ParseContentAddress(s); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseContentAddress(%q) error %v, want %q", s, err, msg)
		}
	}
	if (ContentAddress{}).String() != "" {
		t.Error("zero ContentAddress does not print as empty")
	}
}
