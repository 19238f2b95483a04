package nar

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
)

// TestWriterEncoding checks the bytes of small archives against the
// format: every string padded, fields in Nix's order.
func TestWriterEncoding(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	must(t, w.WriteHeader(&Header{Path: "/", Type: TypeDirectory}))
	must(t, w.WriteHeader(&Header{Path: "/a", Type: TypeRegular, Size: 3, Executable: true}))
	if _, err := io.WriteString(w, "abc"); err != nil {
		t.Fatal(err)
	}
	must(t, w.WriteHeader(&Header{Path: "/b", Type: TypeDirectory}))
	must(t, w.WriteHeader(&Header{Path: "/b/c", Type: TypeSymlink, LinkTarget: "../a"}))
	must(t, w.WriteHeader(&Header{Path: "/d", Type: TypeRegular}))
	must(t, w.Close())
	want := archive(dir(
		entry("a", "(", "type", "regular", "executable", "", "contents", "abc", ")"),
		entry("b", dir(entry("c", "(", "type", "symlink", "target", "../a", ")"))...),
		entry("d", file("")...),
	))
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("\n got %q\nwant %q", buf.Bytes(), want)
	}
}

func TestWriterRejects(t *testing.T) {
	type step struct {
		h    *Header
		data string
	}
	dirH := func(p string) step { return step{h: &Header{Path: p, Type: TypeDirectory}} }
	fileH := func(p string, data string) step {
		return step{h: &Header{Path: p, Type: TypeRegular, Size: int64(len(data))}, data: data}
	}
	tests := []struct {
		name  string
		steps []step
		want  error
	}{
		{"no root", nil, ErrOutOfOrder},
		{"root not first", []step{fileH("/a", "")}, ErrOutOfOrder},
		{"unsorted", []step{dirH("/"), fileH("/b", ""), fileH("/a", "")}, ErrNotSorted},
		{"duplicate", []step{dirH("/"), fileH("/a", ""), fileH("/a", "")}, ErrDuplicate},
		{"dot", []step{dirH("/"), fileH("/.", "")}, ErrInvalidName},
		{"dotdot", []step{dirH("/"), fileH("/..", "")}, ErrInvalidName},
		{"empty name", []step{dirH("/"), fileH("/a/", "")}, ErrInvalidName},
		{"nul", []step{dirH("/"), fileH("/a\x00", "")}, ErrInvalidName},
		{"long name", []step{dirH("/"), fileH("/"+strings.Repeat("x", 256), "")}, ErrInvalidName},
		{"parent missing", []step{dirH("/"), fileH("/a/b", "")}, ErrOutOfOrder},
		{"parent closed", []step{dirH("/"), dirH("/a"), fileH("/b", ""), fileH("/a/c", "")}, ErrOutOfOrder},
		{"child of file", []step{dirH("/"), fileH("/a", ""), fileH("/a/b", "")}, ErrOutOfOrder},
		{"after root file", []step{fileH("/", "x"), fileH("/a", "")}, ErrArchiveEnded},
		{"after root symlink", []step{{h: &Header{Path: "/", Type: TypeSymlink, LinkTarget: "x"}}, fileH("/a", "")}, ErrArchiveEnded},
		{"empty target", []step{{h: &Header{Path: "/", Type: TypeSymlink}}}, ErrInvalidLink},
		{"bad type", []step{{h: &Header{Path: "/", Type: 9}}}, ErrUnsupported},
		{"negative size", []step{{h: &Header{Path: "/", Type: TypeRegular, Size: -1}}}, ErrWrongSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWriter(io.Discard)
			var err error
			for _, s := range tt.steps {
				if err = w.WriteHeader(s.h); err != nil {
					break
				}
				if _, err = io.WriteString(w, s.data); err != nil {
					break
				}
			}
			if err == nil {
				err = w.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			// Errors stick.
			if err2 := w.Close(); !errors.Is(err2, tt.want) {
				t.Fatalf("second Close: %v", err2)
			}
		})
	}
}

func TestWriterSizes(t *testing.T) {
	w := NewWriter(io.Discard)
	must(t, w.WriteHeader(&Header{Path: "/", Type: TypeRegular, Size: 3}))
	if _, err := w.Write([]byte("abcd")); !errors.Is(err, ErrWrongSize) {
		t.Fatalf("overlong write: %v", err)
	}
	w = NewWriter(io.Discard)
	must(t, w.WriteHeader(&Header{Path: "/", Type: TypeRegular, Size: 3}))
	if _, err := w.Write([]byte("ab")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, ErrWrongSize) {
		t.Fatalf("short file: %v", err)
	}
	w = NewWriter(io.Discard)
	must(t, w.WriteHeader(&Header{Path: "/", Type: TypeRegular, Size: 3}))
	if _, err := w.ReadFrom(strings.NewReader("abcd")); !errors.Is(err, ErrWrongSize) {
		t.Fatalf("ReadFrom overlong: %v", err)
	}
	w = NewWriter(io.Discard)
	must(t, w.WriteHeader(&Header{Path: "/", Type: TypeDirectory}))
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("contents in a directory: %v", err)
	}
}

// TestReaderPartialReads checks that contents left unread are skipped and
// that Offset points at contents.
func TestReaderPartialReads(t *testing.T) {
	data := archive(dir(
		entry("a", file("hello world")...),
		entry("b", file(strings.Repeat("x", 100_000))...),
		entry("c", "(", "type", "symlink", "target", "a", ")"),
	))
	r := NewReader(bytes.NewReader(data))
	var got []string
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		got = append(got, h.Path+":"+h.Type.String())
		if h.Path == "/a" {
			if off := r.Offset(); !bytes.HasPrefix(data[off:], []byte("hello")) {
				t.Fatalf("Offset %d does not point at the contents", off)
			}
			buf := make([]byte, 5)
			if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "hello" {
				t.Fatalf("read %q, %v", buf, err)
			}
		}
		if h.Type != TypeRegular {
			if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("Read on %s = %d, %v", h.Type, n, err)
			}
		}
	}
	if want := "/:directory /a:regular /b:regular /c:symlink"; strings.Join(got, " ") != want {
		t.Fatalf("got %s, want %s", strings.Join(got, " "), want)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after end: %v", err)
	}
}

// TestReaderStopsAtEnd checks that a Reader over a bufio.Reader leaves
// what follows the archive unread.
func TestReaderLeavesTrailingData(t *testing.T) {
	data := append(archive(file("x")), "TRAILER"...)
	br := newBufReader(bytes.NewReader(data))
	must(t, readAll(br))
	rest, _ := io.ReadAll(br)
	if string(rest) != "TRAILER" {
		t.Fatalf("left %q after the archive", rest)
	}
}

func TestFind(t *testing.T) {
	data := archive(dir(
		entry("a", dir(entry("x", file("ax")...))...),
		entry("b", file("bee")...),
	))
	r := NewReader(bytes.NewReader(data))
	h, err := r.Find("/b")
	if err != nil || h.Size != 3 {
		t.Fatalf("Find(/b) = %+v, %v", h, err)
	}
	if b, _ := io.ReadAll(r); string(b) != "bee" {
		t.Fatalf("contents %q", b)
	}
	if _, err := NewReader(bytes.NewReader(data)).Find("/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Find(/nope): %v", err)
	}
}

func TestListing(t *testing.T) {
	data := archive(dir(
		entry("a", dir(entry("x", file("ax")...))...),
		entry("b\"q", "(", "type", "regular", "executable", "", "contents", "bee", ")"),
		entry("l", "(", "type", "symlink", "target", "tab\there\x01", ")"),
	))
	l, err := List(bytes.NewReader(data))
	must(t, err)
	js, err := l.MarshalJSON()
	must(t, err)
	want := `{"version":1,"root":{"type":"directory","entries":{"a":{"type":"directory","entries":{"x":{"type":"regular","size":2,"narOffset":368}}},` +
		`"b\"q":{"type":"regular","size":3,"executable":true,"narOffset":624},"l":{"type":"symlink","target":"tab\there\u0001"}}}}`
	if string(js) != want {
		t.Fatalf("\n got %s\nwant %s", js, want)
	}
	if !bytes.HasPrefix(data[368:], []byte("ax")) || !bytes.HasPrefix(data[624:], []byte("bee")) {
		t.Fatal("narOffset does not point at the contents")
	}
	var back Listing
	must(t, back.UnmarshalJSON(js))
	js2, _ := back.MarshalJSON()
	if string(js2) != want {
		t.Fatalf("round trip:\n got %s\nwant %s", js2, want)
	}
	for _, p := range []string{"/a/x", "a/x", "/b\"q", "/"} {
		if _, err := l.Root.Lookup(p); err != nil {
			t.Errorf("Lookup(%q): %v", p, err)
		}
	}
	for _, p := range []string{"/a/", "/nope", "/b\"q/x", "/l/x"} {
		if _, err := l.Root.Lookup(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lookup(%q): %v", p, err)
		}
	}
	for _, bad := range []string{
		`{"version":2,"root":{"type":"regular","size":1}}`,
		`{"version":1,"root":{"type":"fifo"}}`,
		`{"version":1,"root":{"type":"directory","entries":{"..":{"type":"regular"}}}}`,
		`{"version":1,"root":{"type":"symlink","target":""}}`,
		`{"version":1,"root":{"type":"regular","size":-1}}`,
	} {
		if err := new(Listing).UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
