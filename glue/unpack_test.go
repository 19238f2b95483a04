package glue

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tarOf(t testing.TB, entries ...*tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range entries {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	tw.Close()
	return b.Bytes()
}

// TestUnpackRefusesEscapes: entries that would land outside the
// directory, directly or through a symbolic link the archive made, are
// refused.
func TestUnpackRefusesEscapes(t *testing.T) {
	for name, data := range map[string][]byte{
		"dotdot":        tarOf(t, &tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}),
		"nested dotdot": tarOf(t, &tar.Header{Name: "a/../../evil", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}),
		"through link": tarOf(t,
			&tar.Header{Name: "a", Typeflag: tar.TypeSymlink, Linkname: "/tmp", Mode: 0o777},
			&tar.Header{Name: "a/evil", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}),
		"hard link out": tarOf(t, &tar.Header{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}),
	} {
		dir := t.TempDir()
		f := filepath.Join(t.TempDir(), "a.tar")
		os.WriteFile(f, data, 0o644)
		if err := unpackArchive(context.Background(), f, filepath.Join(dir, "out")); err == nil {
			t.Errorf("%s: unpacked", name)
		}
		if _, err := os.Lstat(filepath.Join(dir, "evil")); err == nil {
			t.Errorf("%s: wrote outside the directory", name)
		}
	}
}

func FuzzUnpackArchive(f *testing.F) {
	f.Add(tarOf(f, &tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755},
		&tar.Header{Name: "d/f", Typeflag: tar.TypeReg, Size: 3, Mode: 0o755},
		&tar.Header{Name: "d/l", Typeflag: tar.TypeSymlink, Linkname: "f"}))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarOf(f, &tar.Header{Name: "x", Typeflag: tar.TypeReg, Size: 2, Mode: 0o644}))
	zw.Close()
	f.Add(gz.Bytes())
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		file := filepath.Join(root, "archive")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "out")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		unpackArchive(context.Background(), file, dir)
		// Whatever happened, nothing was written next to the output.
		ents, _ := os.ReadDir(root)
		for _, e := range ents {
			if e.Name() != "archive" && e.Name() != "out" && !strings.HasPrefix(e.Name(), ".") {
				t.Fatalf("wrote %s outside the output directory", e.Name())
			}
		}
	})
}
