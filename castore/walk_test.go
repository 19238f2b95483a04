package castore

import (
	"context"
	"errors"
	"testing"
)

// rawDirs is a DirectoryStore that stores whatever it is given, so tests
// can plant closures no putter would accept.
type rawDirs map[Digest][]byte

func (r rawDirs) GetDirectory(_ context.Context, d Digest) ([]byte, error) {
	if b, ok := r[d]; ok {
		return b, nil
	}
	return nil, ErrNotFound
}

func (r rawDirs) PutDirectories(_ context.Context, c []EncodedDirectory) error {
	for _, e := range c {
		r[e.Digest] = e.Bytes
	}
	return nil
}

func TestGetRecursiveChecksWhatItReads(t *testing.T) {
	ctx := t.Context()
	child, _ := NewDirectory(Entry{Name: "f", Node: FileNode(helloDigest, 12, false)})
	liar, _ := NewDirectory(Entry{Name: "c", Node: DirectoryNode(child.Digest(), 7)}) // child's size is 1
	raw := rawDirs{child.Digest(): child.Marshal(), liar.Digest(): liar.Marshal()}
	ds := NewDirectoryService(raw)
	_, err := Closure(ctx, ds, liar.Digest())
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("closure with a wrong size: %v, want ErrCorrupt", err)
	}

	// Bytes stored under the wrong digest.
	raw[child.Digest()] = liar.Marshal()
	if _, err := ds.Get(ctx, child.Digest()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("directory under the wrong digest: %v, want ErrCorrupt", err)
	}
	// A missing child.
	delete(raw, child.Digest())
	if _, err := Closure(ctx, ds, liar.Digest()); !errors.Is(err, ErrNotFound) {
		t.Errorf("closure with a missing child: %v, want ErrNotFound", err)
	}
}

func TestLeavesFirst(t *testing.T) {
	// X is met at depth 2 (below A) and at depth 3 (below B and C):
	// breadth-first order is root, A, B, X, C; reversed, C would come before
	// X, which it refers to, so LeavesFirst must really sort.
	x, _ := NewDirectory(Entry{Name: "f", Node: FileNode(helloDigest, 12, false)})
	c, _ := NewDirectory(Entry{Name: "x", Node: x.Node()})
	a, _ := NewDirectory(Entry{Name: "x", Node: x.Node()}, Entry{Name: "y", Node: SymlinkNode("t")})
	b, _ := NewDirectory(Entry{Name: "c", Node: c.Node()})
	root, _ := NewDirectory(Entry{Name: "a", Node: a.Node()}, Entry{Name: "b", Node: b.Node()})
	raw := rawDirs{}
	for _, d := range []*Directory{x, c, a, b, root} {
		raw[d.Digest()] = d.Marshal()
	}
	closure, err := Closure(t.Context(), NewDirectoryService(raw), root.Digest())
	if err != nil {
		t.Fatal(err)
	}
	var check ClosureChecker
	for _, d := range LeavesFirst(closure) {
		if _, _, err := check.Add(d); err != nil {
			t.Fatalf("LeavesFirst order refused: %v", err)
		}
	}
	if got, err := check.Finish(); err != nil || got != root.Digest() {
		t.Fatalf("Finish = %s, %v", got, err)
	}
}
