package castore

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/castore/castorepb"
)

var (
	dummyDigest = Digest{}
	helloDigest = Sum([]byte("Hello World!"))
)

func TestEmptyDirectoryDigest(t *testing.T) {
	// From Tvix's castore tests: the empty Directory encodes to no bytes.
	want := "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
	if got := (&Directory{}).Digest().Hex(); got != want {
		t.Errorf("empty directory digest %s, want %s", got, want)
	}
	if got := EmptyBlobDigest.Hex(); got != want {
		t.Errorf("empty blob digest %s, want %s", got, want)
	}
}

// TestHandEncoded pins the canonical encoding byte for byte, assembled from
// the protobuf wire format rules rather than by any encoder.
func TestHandEncoded(t *testing.T) {
	d, err := NewDirectory(
		Entry{Name: "sub", Node: DirectoryNode(EmptyBlobDigest, 0)},
		Entry{Name: "x", Node: FileNode(helloDigest, 12, true)},
		Entry{Name: "e", Node: FileNode(EmptyBlobDigest, 0, false)},
		Entry{Name: "l", Node: SymlinkNode("/nix/store")},
	)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	b := func(s ...byte) []byte { return s }
	// directories: DirectoryNode{name "sub", digest, size 0 omitted}
	want = cat(want, b(0x0a, 5+34), b(0x0a, 3), []byte("sub"), b(0x12, 32), EmptyBlobDigest[:])
	// files, sorted: "e" (size 0 and executable false omitted), then "x"
	want = cat(want, b(0x12, 3+34), b(0x0a, 1), []byte("e"), b(0x12, 32), EmptyBlobDigest[:])
	want = cat(want, b(0x12, 3+34+2+2), b(0x0a, 1), []byte("x"), b(0x12, 32), helloDigest[:], b(0x18, 12), b(0x20, 1))
	// symlinks: SymlinkNode{name "l", target "/nix/store"}
	want = cat(want, b(0x1a, 3+12), b(0x0a, 1), []byte("l"), b(0x12, 10), []byte("/nix/store"))
	if got := d.Marshal(); !bytes.Equal(got, want) {
		t.Fatalf("Marshal:\n got %x\nwant %x", got, want)
	}
	if d.EncodedLen() != len(want) {
		t.Errorf("EncodedLen %d, want %d", d.EncodedLen(), len(want))
	}
	if d.Digest() != Sum(want) {
		t.Errorf("Digest is not BLAKE3 of the encoding")
	}
	back, err := UnmarshalDirectory(want)
	if err != nil {
		t.Fatal(err)
	}
	if !equalDirs(back, d) {
		t.Errorf("round trip changed the directory")
	}
}

func equalDirs(a, b *Directory) bool {
	if len(a.Entries) != len(b.Entries) {
		return false
	}
	for i := range a.Entries {
		if a.Entries[i] != b.Entries[i] {
			return false
		}
	}
	return true
}

func sampleDirs(t testing.TB) []*Directory {
	mk := func(es ...Entry) *Directory {
		d, err := NewDirectory(es...)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	empty := &Directory{}
	big := &Directory{}
	for i := range 300 {
		name := strings.Repeat("n", 1+i%200) + string(rune('a'+i%26)) + string(rune('0'+i%10))
		if _, ok := big.Lookup(name); ok {
			continue
		}
		big, _ = NewDirectory(append(big.Entries, Entry{Name: name, Node: FileNode(Sum([]byte(name)), uint64(i)*1e9, i%3 == 0)})...)
	}
	return []*Directory{
		empty,
		mk(Entry{Name: "a", Node: empty.Node()}),
		mk(Entry{Name: "keep", Node: DirectoryNode(helloDigest, 1)}, Entry{Name: ".keep", Node: FileNode(EmptyBlobDigest, 0, false)}, Entry{Name: "aa", Node: SymlinkNode("/nix/store/somewhereelse")}),
		mk(Entry{Name: "\xff\xfe", Node: FileNode(dummyDigest, math.MaxUint64, true)}, Entry{Name: "sym", Node: SymlinkNode(strings.Repeat("t", 4095))}),
		mk(Entry{Name: "d", Node: DirectoryNode(dummyDigest, math.MaxUint64-1)}),
		big,
	}
}

// TestMatchesGeneratedCode checks that the hand-written encoding is the one
// protobuf-go produces for the generated messages (deterministic mode), and
// that both decoders agree.
func TestMatchesGeneratedCode(t *testing.T) {
	for i, d := range sampleDirs(t) {
		pb := d.ToProto()
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(pb)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Marshal(); !bytes.Equal(got, want) {
			t.Errorf("dir %d: Marshal differs from protobuf-go:\n got %x\nwant %x", i, got, want)
		}
		var back castorepb.Directory
		if err := proto.Unmarshal(want, &back); err != nil {
			t.Fatal(err)
		}
		fromPB, err := DirectoryFromProto(&back)
		if err != nil {
			t.Fatalf("dir %d: DirectoryFromProto: %v", i, err)
		}
		fromBytes, err := UnmarshalDirectory(want)
		if err != nil {
			t.Fatalf("dir %d: UnmarshalDirectory: %v", i, err)
		}
		if !equalDirs(fromPB, d) || !equalDirs(fromBytes, d) {
			t.Errorf("dir %d: decoders disagree", i)
		}
		for _, e := range d.Entries {
			pn := NodeToProto(e.Name, e.Node)
			nb, _ := proto.MarshalOptions{Deterministic: true}.Marshal(pn)
			if got := MarshalNode(e.Name, e.Node); !bytes.Equal(got, nb) {
				t.Errorf("MarshalNode(%q) differs from protobuf-go", e.Name)
			}
			name, n, err := UnmarshalNode(nb)
			if err != nil || name != e.Name || n != e.Node {
				t.Errorf("UnmarshalNode(%q) = %q, %v, %v", e.Name, name, n, err)
			}
			name, n, err = NodeFromProto(pn)
			if err != nil || name != e.Name || n != e.Node {
				t.Errorf("NodeFromProto(%q) = %q, %v, %v", e.Name, name, n, err)
			}
		}
	}
}

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		d    Directory
		want uint64
	}{
		{Directory{}, 0},
		{Directory{Entries: []Entry{{Name: "foo", Node: DirectoryNode(dummyDigest, 0)}}}, 1},
		{Directory{Entries: []Entry{{Name: "foo", Node: DirectoryNode(dummyDigest, 4)}}}, 5},
		{Directory{Entries: []Entry{{Name: "foo", Node: FileNode(dummyDigest, 42, false)}}}, 1},
		{Directory{Entries: []Entry{{Name: "foo", Node: SymlinkNode("bar")}}}, 1},
		{Directory{Entries: []Entry{{Name: "a", Node: DirectoryNode(dummyDigest, 2)}, {Name: "b", Node: DirectoryNode(dummyDigest, 3)}, {Name: "c", Node: SymlinkNode("x")}}}, 8},
		{Directory{Entries: []Entry{{Name: "foo", Node: DirectoryNode(dummyDigest, math.MaxUint64-1)}}}, math.MaxUint64},
		{Directory{Entries: []Entry{{Name: "foo", Node: DirectoryNode(dummyDigest, math.MaxUint64)}}}, math.MaxUint64}, // saturates
	} {
		if got := tc.d.Size(); got != tc.want {
			t.Errorf("Size(%v) = %d, want %d", tc.d.Entries, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	file := FileNode(dummyDigest, 1, false)
	for _, tc := range []struct {
		name    string
		entries []Entry
		ok      bool
	}{
		{"empty", nil, true},
		{"sorted", []Entry{{Name: "a", Node: file}, {Name: "b", Node: SymlinkNode("x")}}, true},
		{"unsorted", []Entry{{Name: "b", Node: file}, {Name: "a", Node: file}}, false},
		{"duplicate", []Entry{{Name: "a", Node: file}, {Name: "a", Node: SymlinkNode("x")}}, false},
		{"empty name", []Entry{{Name: "", Node: file}}, false},
		{"dot", []Entry{{Name: ".", Node: file}}, false},
		{"dotdot", []Entry{{Name: "..", Node: file}}, false},
		{"dots ok", []Entry{{Name: "...", Node: file}, {Name: ".a", Node: file}}, true},
		{"slash", []Entry{{Name: "a/", Node: file}}, false},
		{"nul", []Entry{{Name: "\x00", Node: file}}, false},
		{"255", []Entry{{Name: strings.Repeat("x", 255), Node: file}}, true},
		{"256", []Entry{{Name: strings.Repeat("x", 256), Node: file}}, false},
		{"target empty", []Entry{{Name: "l", Node: SymlinkNode("")}}, false},
		{"target 4095", []Entry{{Name: "l", Node: SymlinkNode(strings.Repeat("x", 4095))}}, true},
		{"target 4096", []Entry{{Name: "l", Node: SymlinkNode(strings.Repeat("x", 4096))}}, false},
		{"target nul", []Entry{{Name: "l", Node: SymlinkNode("a\x00b")}}, false},
		{"overflow", []Entry{{Name: "a", Node: DirectoryNode(dummyDigest, math.MaxUint64/2)}, {Name: "b", Node: DirectoryNode(dummyDigest, math.MaxUint64/2)}}, false},
		{"max", []Entry{{Name: "a", Node: DirectoryNode(dummyDigest, math.MaxUint64-1)}}, true},
		{"over max", []Entry{{Name: "a", Node: DirectoryNode(dummyDigest, math.MaxUint64)}}, false},
		{"no kind", []Entry{{Name: "a"}}, false},
		{"dir with exec", []Entry{{Name: "a", Node: Node{Kind: KindDirectory, Executable: true}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Directory{Entries: tc.entries}).Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestUnmarshalRejects(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dg := strings.Repeat("00", 32)
	fileA := "0a0161 1220" + dg // FileNode{name "a", digest}
	fileB := "0a0162 1220" + dg
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"unknown field", h("2200")},
		{"varint top-level", h("0800")},
		{"truncated", h("1225 0a0161")},
		{"length past end", h("12 ff01")},
		{"file unsorted", h("1225" + fileB + "1225" + fileA)},
		{"file duplicate", h("1225" + fileA + "1225" + fileA)},
		{"dup across kinds", h("0a25" + fileA + "1225" + fileA)},
		{"fields out of order", h("1225" + fileA + "0a25" + fileB)},
		{"explicit zero size", h("1227" + fileA + "1800")},
		{"explicit false exec", h("1227" + fileA + "2000")},
		{"exec 2", h("1227" + fileA + "2002")},
		{"non-minimal varint", h("1228" + fileA + "188100")},
		{"size wire type", h("1227" + fileA + "1a00")},
		{"digest short", h("1224 0a0161 121f" + dg[2:])},
		{"digest missing", h("1203 0a0161")},
		{"field repeated", h("1228 0a0161 0a0162 1220" + dg)},
		{"node unknown field", h("1227" + fileA + "2801")},
		{"empty name", h("1222 1220" + dg)},
		{"explicit empty name", h("1224 0a00 1220" + dg)},
		{"symlink no target", h("1a03 0a0161")},
		{"symlink with size", h("1a08 0a0161 120178 1801")},
		{"name with slash", h("1a08 0a03612f62 120178")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d, err := UnmarshalDirectory(tc.in); err == nil {
				t.Fatalf("accepted %x as %v", tc.in, d.Entries)
			} else if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestParseDigest(t *testing.T) {
	d := Sum([]byte("x"))
	for _, s := range []string{d.String(), d.String()[3:], d.Hex()} {
		got, err := ParseDigest(s)
		if err != nil || got != d {
			t.Errorf("ParseDigest(%q) = %s, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "b3:", "b3:AAAA", d.Hex()[:62], "sha256:" + d.Hex()} {
		if _, err := ParseDigest(s); err == nil {
			t.Errorf("ParseDigest(%q) succeeded", s)
		}
	}
	if !strings.HasPrefix(d.String(), "b3:") || len(d.String()) != 3+44 {
		t.Errorf("String() = %q", d.String())
	}
}

func TestDirectoryFromProtoRejects(t *testing.T) {
	dg := make([]byte, 32)
	for _, tc := range []struct {
		name string
		pd   *castorepb.Directory
	}{
		{"short digest", &castorepb.Directory{Files: []*castorepb.FileNode{{Name: []byte("a"), Digest: dg[:2]}}}},
		{"unsorted", &castorepb.Directory{Files: []*castorepb.FileNode{{Name: []byte("b"), Digest: dg}, {Name: []byte("a"), Digest: dg}}}},
		{"dup across", &castorepb.Directory{Files: []*castorepb.FileNode{{Name: []byte("a"), Digest: dg}}, Symlinks: []*castorepb.SymlinkNode{{Name: []byte("a"), Target: []byte("x")}}}},
		{"bad name", &castorepb.Directory{Symlinks: []*castorepb.SymlinkNode{{Name: []byte(".."), Target: []byte("x")}}}},
		{"overflow", &castorepb.Directory{Directories: []*castorepb.DirectoryNode{{Name: []byte("a"), Digest: dg, Size: math.MaxUint64}}}},
	} {
		if _, err := DirectoryFromProto(tc.pd); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", tc.name, err)
		}
	}
	if _, _, err := NodeFromProto(&castorepb.Node{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty Node accepted: %v", err)
	}
}

func BenchmarkDirectoryMarshal(b *testing.B) {
	d := sampleDirs(b)[5]
	b.SetBytes(int64(d.EncodedLen()))
	for b.Loop() {
		d.Digest()
	}
}

func BenchmarkUnmarshalDirectory(b *testing.B) {
	enc := sampleDirs(b)[5].Marshal()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := UnmarshalDirectory(enc); err != nil {
			b.Fatal(err)
		}
	}
}
