package nar

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/govix/govix/nixcompat/wire"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// tokens builds an archive from structural strings; entries of type
// uint64 are written as bare integers (sizes), []byte as raw bytes.
func tokens(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			b = wire.AppendString(b, p)
		case uint64:
			b = wire.AppendUint64(b, p)
		case []byte:
			b = append(b, p...)
		}
	}
	return b
}

// entry returns the tokens of a directory entry holding a node.
func entry(name string, node ...any) []any {
	return slices.Concat([]any{"entry", "(", "name", name, "node"}, node, []any{")"})
}

func file(contents string) []any {
	return []any{"(", "type", "regular", "contents", contents, ")"}
}

func dir(entries ...[]any) []any {
	return slices.Concat([]any{"(", "type", "directory"}, slices.Concat(entries...), []any{")"})
}

func archive(root []any) []byte { return tokens(slices.Concat([]any{Magic}, root)...) }

// hostile lists archives Nix would refuse or that must not cost much,
// with the error each must give. They are kept under testdata/hostile so
// that other readers can be checked against the same corpus.
var hostile = []struct {
	name string
	nar  []byte
	want error
}{
	{"empty", nil, io.ErrUnexpectedEOF},
	{"bad-magic", tokens("nix-archive-2", "(", "type", "regular", "contents", "", ")"), ErrNotNAR},
	{"huge-magic", tokens(uint64(1) << 62), ErrNotNAR},
	{"not-a-nar", []byte("<html>not found</html>\n"), ErrNotNAR},
	{"truncated-magic", tokens("nix-archive-1")[:12], io.ErrUnexpectedEOF},
	{"no-root", tokens(Magic), io.ErrUnexpectedEOF},
	{"missing-open", tokens(Magic, "type", "regular"), ErrSyntax},
	{"unknown-type", tokens(Magic, "(", "type", "fifo", ")"), ErrSyntax},
	{"unknown-field", tokens(Magic, "(", "type", "regular", "mtime", "0", ")"), ErrSyntax},
	{"executable-value", tokens(Magic, "(", "type", "regular", "executable", "1", "contents", "", ")"), ErrSyntax},
	{"contents-before-executable", tokens(Magic, "(", "type", "regular", "contents", "", "executable", "", ")"), ErrSyntax},
	{"double-contents", tokens(Magic, "(", "type", "regular", "contents", "a", "contents", "b", ")"), ErrSyntax},
	{"huge-file-size", tokens(Magic, "(", "type", "regular", "contents", uint64(1)<<63), ErrTooLong},
	{"truncated-contents", tokens(Magic, "(", "type", "regular", "contents", uint64(100), []byte("short")), io.ErrUnexpectedEOF},
	{"bad-padding", tokens(Magic, "(", "type", "regular", "contents", uint64(3), []byte("abc\x00\x00\x01\x00\x00"), ")"), ErrBadPadding},
	{"bad-token-padding", bytes.Replace(archive(file("")), []byte("type\x00\x00\x00\x00"), []byte("type\x00\x00\x07\x00"), 1), ErrBadPadding},
	{"missing-close", tokens(Magic, "(", "type", "regular", "contents", "abc"), io.ErrUnexpectedEOF},
	{"trailing-field", tokens(Magic, "(", "type", "regular", "contents", "abc", "extra", ")"), ErrSyntax},
	{"symlink-empty-target", archive([]any{"(", "type", "symlink", "target", "", ")"}), ErrInvalidLink},
	{"symlink-nul-target", archive([]any{"(", "type", "symlink", "target", "a\x00b", ")"}), ErrInvalidLink},
	{"symlink-huge-target", archive([]any{"(", "type", "symlink", "target", strings.Repeat("x", MaxTargetLen+1), ")"}), ErrTooLong},
	{"symlink-no-target", archive([]any{"(", "type", "symlink", ")"}), ErrSyntax},
	{"unsorted", archive(dir(entry("b", file("")...), entry("a", file("")...))), ErrNotSorted},
	{"unsorted-case", archive(dir(entry("a", file("")...), entry("B", file("")...))), ErrNotSorted},
	{"duplicate", archive(dir(entry("a", file("")...), entry("a", file("")...))), ErrDuplicate},
	{"duplicate-dir", archive(dir(entry("a", dir()...), entry("a", file("")...))), ErrDuplicate},
	{"empty-name", archive(dir(entry("", file("")...))), ErrInvalidName},
	{"dot", archive(dir(entry(".", file("")...))), ErrInvalidName},
	{"dotdot", archive(dir(entry("..", file("")...))), ErrInvalidName},
	{"slash", archive(dir(entry("a/b", file("")...))), ErrInvalidName},
	{"escape", archive(dir(entry("../../etc/passwd", file("")...))), ErrInvalidName},
	{"absolute", archive(dir(entry("/etc", file("")...))), ErrInvalidName},
	{"nul", archive(dir(entry("a\x00b", file("")...))), ErrInvalidName},
	{"long-name", archive(dir(entry(strings.Repeat("n", MaxNameLen+1), file("")...))), ErrTooLong},
	{"huge-name", tokens(Magic, "(", "type", "directory", "entry", "(", "name", uint64(1)<<40), ErrTooLong},
	{"huge-token", tokens(Magic, uint64(1)<<60), ErrTooLong},
	{"entry-without-name", archive(dir([]any{"entry", "(", "node", "(", "type", "regular", "contents", "", ")", ")"})), ErrSyntax},
	{"entry-without-node", archive(dir([]any{"entry", "(", "name", "a", ")"})), ErrSyntax},
	{"entry-in-file", tokens(Magic, "(", "type", "regular", "entry", "(", "name", "a"), ErrSyntax},
	{"unclosed-entry", tokens(Magic, "(", "type", "directory", "entry", "(", "name", "a", "node", "(", "type", "regular", "contents", "", ")", ")", ")")[:150], io.ErrUnexpectedEOF},
	{"double-type", tokens(Magic, "(", "type", "directory", "type", "regular", ")"), ErrSyntax},
	{"too-deep", deepArchive(MaxDepth + 2), ErrTooDeep},
	{"truncated-deep", deepArchive(50)[:2000], io.ErrUnexpectedEOF},
}

// deepArchive nests directories depth levels deep.
func deepArchive(depth int) []byte {
	node := dir()
	for i := 0; i < depth; i++ {
		node = dir(entry("d", node...))
	}
	return archive(node)
}

func TestHostileArchives(t *testing.T) {
	dirName := filepath.Join("testdata", "hostile")
	if *update {
		os.RemoveAll(dirName)
		if err := os.MkdirAll(dirName, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tt := range hostile {
			if err := os.WriteFile(filepath.Join(dirName, tt.name+".nar"), tt.nar, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dirName, tt.name+".nar"))
			if err != nil {
				t.Fatalf("%v (run with -update to write the corpus)", err)
			}
			if !bytes.Equal(data, tt.nar) {
				t.Fatal("corpus file differs from the table (run with -update)")
			}
			err = readAll(bytes.NewReader(data))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var nerr *Error
			if !errors.As(err, &nerr) {
				t.Fatalf("error %v is not an *Error", err)
			}
			t.Logf("%v", err)
			// Restore and List give the same error, and Restore
			// leaves nothing outside its target.
			if _, err := List(bytes.NewReader(data)); !errors.Is(err, tt.want) {
				t.Fatalf("List: got %v, want %v", err, tt.want)
			}
			out := t.TempDir()
			if err := Restore(t.Context(), bytes.NewReader(data), filepath.Join(out, "x")); !errors.Is(err, tt.want) {
				t.Fatalf("Restore: got %v, want %v", err, tt.want)
			}
			entries, _ := os.ReadDir(out)
			for _, e := range entries {
				if e.Name() != "x" {
					t.Fatalf("Restore created %s outside its target", e.Name())
				}
			}
		})
	}
	// Every file in the corpus is in the table.
	files, _ := os.ReadDir(dirName)
	if len(files) != len(hostile) {
		t.Fatalf("%d files in %s, %d in the table", len(files), dirName, len(hostile))
	}
}

// readAll reads an archive to its end, contents included.
func readAll(r io.Reader) error {
	nr := NewReader(r)
	for {
		_, err := nr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, nr); err != nil {
			return err
		}
	}
}

// TestHostileAllocation checks that claims of huge sizes cost nothing.
func TestHostileAllocation(t *testing.T) {
	for _, nar := range [][]byte{
		tokens(Magic, "(", "type", "regular", "contents", uint64(1)<<62),
		tokens(Magic, "(", "type", "symlink", "target", uint64(1)<<40),
		tokens(Magic, "(", "type", "directory", "entry", "(", "name", uint64(1)<<40),
		tokens(Magic, uint64(1)<<40),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := readAll(bytes.NewReader(nar))
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatal("hostile archive accepted")
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Fatalf("%v: allocated %d bytes", err, d)
		}
	}
}
