package syntax

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type sourceFile struct {
	path string
	src  []byte
}

func auxcoreFiles(b *testing.B) (files []sourceFile, size int64) {
	dir := conformanceDir(b, "auxcore/src")
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".nix") {
			return err
		}
		src, err := os.ReadFile(path)
		files = append(files, sourceFile{path, src})
		size += int64(len(src))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return files, size
}

// BenchmarkParseAuxcore parses every file of the auxcore package set
// (about 9 MB) per iteration, with the undefined-variable check.
func BenchmarkParseAuxcore(b *testing.B) {
	files, size := auxcoreFiles(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		fset := NewFileSet()
		for _, f := range files {
			if _, err := Parse(fset, f.path, f.src, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkScanAuxcore runs the scanner alone over the auxcore files.
func BenchmarkScanAuxcore(b *testing.B) {
	files, size := auxcoreFiles(b)
	b.SetBytes(size)
	b.ReportAllocs()
	opts := &Options{}
	for b.Loop() {
		for _, f := range files {
			var s scanner
			s.init(string(f.src), opts)
			for t := s.next(); t != tEOF && t != tLexErr; t = s.next() {
			}
		}
	}
}

// BenchmarkPrintAuxcore prints every auxcore file as Nix 2.8 does.
func BenchmarkPrintAuxcore(b *testing.B) {
	files, size := auxcoreFiles(b)
	fset := NewFileSet()
	exprs := make([]Expr, len(files))
	for i, f := range files {
		e, err := Parse(fset, f.path, f.src, Options{})
		if err != nil {
			b.Fatal(err)
		}
		exprs[i] = e
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range exprs {
			if err := Print(io.Discard, e, PrintOptions{BaseDir: "/", FileSet: fset}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
