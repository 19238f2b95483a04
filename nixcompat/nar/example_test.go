package nar_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/govix/govix/nixcompat/nar"
)

// An archive can be written from any tree, here one in memory: give the
// nodes in archive order (each directory's entries sorted by name, each
// directory's contents right after it) and the Writer checks the rest.
func ExampleWriter() {
	var buf bytes.Buffer
	w := nar.NewWriter(&buf)
	files := []struct {
		hdr      nar.Header
		contents string
	}{
		{nar.Header{Path: "/", Type: nar.TypeDirectory}, ""},
		{nar.Header{Path: "/bin", Type: nar.TypeDirectory}, ""},
		{nar.Header{Path: "/bin/hello", Type: nar.TypeRegular, Executable: true, Size: 22}, "#!/bin/sh\necho hello\n\n"},
		{nar.Header{Path: "/share", Type: nar.TypeSymlink, LinkTarget: "/usr/share"}, ""},
	}
	for _, f := range files {
		if err := w.WriteHeader(&f.hdr); err != nil {
			log.Fatal(err)
		}
		if _, err := io.WriteString(w, f.contents); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	// The same bytes as nix-store --dump of that tree on disk.
	fmt.Printf("%d bytes, sha256 %x\n", buf.Len(), sha256.Sum256(buf.Bytes()))

	// Out of order is an error.
	w = nar.NewWriter(io.Discard)
	w.WriteHeader(&nar.Header{Path: "/", Type: nar.TypeDirectory})
	w.WriteHeader(&nar.Header{Path: "/b", Type: nar.TypeDirectory})
	err := w.WriteHeader(&nar.Header{Path: "/a", Type: nar.TypeDirectory})
	fmt.Println(err)
	// Output:
	// 704 bytes, sha256 cd5b837ee3a7ca7c3f13a7325527646e4c21f793ea543432b9afc3f84816c5eb
	// nar: "/a": entries not sorted: "a" after "b"
}

// Reader walks an archive like archive/tar.Reader.
func ExampleReader() {
	var buf bytes.Buffer
	w := nar.NewWriter(&buf)
	w.WriteHeader(&nar.Header{Path: "/", Type: nar.TypeDirectory})
	w.WriteHeader(&nar.Header{Path: "/greeting", Type: nar.TypeRegular, Size: 6})
	io.WriteString(w, "hello\n")
	w.WriteHeader(&nar.Header{Path: "/link", Type: nar.TypeSymlink, LinkTarget: "greeting"})
	w.Close()

	r := nar.NewReader(&buf)
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		switch h.Type {
		case nar.TypeRegular:
			var b strings.Builder
			io.Copy(&b, r)
			fmt.Printf("%s: file %q\n", h.Path, b.String())
		case nar.TypeSymlink:
			fmt.Printf("%s: link to %s\n", h.Path, h.LinkTarget)
		default:
			fmt.Printf("%s: directory\n", h.Path)
		}
	}
	// Output:
	// /: directory
	// /greeting: file "hello\n"
	// /link: link to greeting
}
