package castoretest

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/govix/govix/castore"
)

// Fixtures, after Tvix's: A is empty, B holds A, C holds A twice, D holds A
// and B (so A is reachable at two depths).
var (
	emptyBlob = castore.Sum(nil)
	helloBlob = castore.Sum([]byte("Hello World!"))
)

// Fixtures returns a few directories that form closures, keyed by name.
func Fixtures() map[string]*castore.Directory {
	must := func(d *castore.Directory, err error) *castore.Directory {
		if err != nil {
			panic(err)
		}
		return d
	}
	a := &castore.Directory{}
	b := must(castore.NewDirectory(castore.Entry{Name: "a", Node: a.Node()}))
	c := must(castore.NewDirectory(castore.Entry{Name: "a", Node: a.Node()}, castore.Entry{Name: "a'", Node: a.Node()}))
	d := must(castore.NewDirectory(castore.Entry{Name: "a", Node: a.Node()}, castore.Entry{Name: "b", Node: b.Node()}))
	keep := must(castore.NewDirectory(castore.Entry{Name: ".keep", Node: castore.FileNode(emptyBlob, 0, false)}))
	complicated := must(castore.NewDirectory(
		castore.Entry{Name: "keep", Node: keep.Node()},
		castore.Entry{Name: ".keep", Node: castore.FileNode(emptyBlob, 0, false)},
		castore.Entry{Name: "aa", Node: castore.SymlinkNode("/nix/store/somewhereelse")},
		castore.Entry{Name: "hello", Node: castore.FileNode(helloBlob, 12, true)},
	))
	return map[string]*castore.Directory{"A": a, "B": b, "C": c, "D": d, "keep": keep, "complicated": complicated}
}

// RunDirectories checks a DirectoryService.
func RunDirectories(t *testing.T, newStore Factory) {
	fx := Fixtures()

	t.Run("empty", func(t *testing.T) {
		ctx, s := open(t, newStore)
		root, err := castore.PutDirectory(ctx, s.Directories, fx["A"])
		if err != nil {
			t.Fatal(err)
		}
		if root.Hex() != "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262" {
			t.Errorf("empty directory digest %s", root)
		}
		checkClosure(t, s, root, fx["A"])
	})

	t.Run("closures", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			order []string
		}{
			{"B", []string{"A", "B"}},
			{"C", []string{"A", "C"}},
			{"D", []string{"A", "B", "D"}},
			{"D-repeats", []string{"A", "A", "B", "A", "D"}},
			{"complicated", []string{"keep", "complicated"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx, s := open(t, newStore)
				p := s.Directories.NewPutter(ctx)
				var want []*castore.Directory
				for _, n := range tc.order {
					if err := p.Put(fx[n]); err != nil {
						t.Fatalf("Put(%s): %v", n, err)
					}
					want = append(want, fx[n])
				}
				root, err := p.Close()
				if err != nil {
					t.Fatal(err)
				}
				if root != want[len(want)-1].Digest() {
					t.Fatalf("root %s, want the last one put", root)
				}
				checkClosure(t, s, root, want...)
				// Every subdirectory is a root of its own closure too.
				for _, d := range want {
					if _, err := castore.Closure(ctx, s.Directories, d.Digest()); err != nil {
						t.Errorf("closure of %s: %v", d.Digest(), err)
					}
				}
			})
		}
	})

	t.Run("two-depths", func(t *testing.T) {
		// root -> {x: P, y: Q}, P -> {z: X}, Q -> {w: R}, R -> {v: X}: X is
		// reachable at depths 2 and 3; GetRecursive must still yield each
		// directory after one that refers to it, and LeavesFirst must give
		// an order a putter accepts.
		ctx, s := open(t, newStore)
		x := mustDir(t, castore.Entry{Name: "f", Node: castore.FileNode(helloBlob, 12, false)})
		p := mustDir(t, castore.Entry{Name: "z", Node: x.Node()})
		r := mustDir(t, castore.Entry{Name: "v", Node: x.Node()})
		q := mustDir(t, castore.Entry{Name: "w", Node: r.Node()})
		root := mustDir(t, castore.Entry{Name: "x", Node: p.Node()}, castore.Entry{Name: "y", Node: q.Node()})
		putAll(t, s, x, p, r, q, root)
		closure := checkClosure(t, s, root.Digest(), x, p, r, q, root)
		// Copy the closure to a second store in LeavesFirst order.
		ctx2, s2 := open(t, newStore)
		_ = ctx
		pt := s2.Directories.NewPutter(ctx2)
		for _, d := range castore.LeavesFirst(closure) {
			if err := pt.Put(d); err != nil {
				t.Fatalf("LeavesFirst order refused: %v", err)
			}
		}
		if got, err := pt.Close(); err != nil || got != root.Digest() {
			t.Fatalf("Close = %s, %v", got, err)
		}
	})

	t.Run("missing", func(t *testing.T) {
		ctx, s := open(t, newStore)
		d := castore.Sum([]byte("no such directory"))
		if _, err := s.Directories.Get(ctx, d); !errors.Is(err, castore.ErrNotFound) {
			t.Errorf("Get error %v, want ErrNotFound", err)
		}
		if _, err := castore.Closure(ctx, s.Directories, d); !errors.Is(err, castore.ErrNotFound) {
			t.Errorf("GetRecursive error %v, want ErrNotFound", err)
		}
	})

	t.Run("hostile", func(t *testing.T) { runHostile(t, newStore) })

	t.Run("concurrent", func(t *testing.T) {
		ctx, s := open(t, newStore)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				leaf := &castore.Directory{Entries: []castore.Entry{{Name: "f" + strings.Repeat("x", i%4), Node: castore.FileNode(helloBlob, 12, false)}}}
				top := &castore.Directory{Entries: []castore.Entry{{Name: "d", Node: leaf.Node()}}}
				p := s.Directories.NewPutter(ctx)
				err := p.Put(leaf)
				if err == nil {
					err = p.Put(top)
				}
				if err == nil {
					_, err = p.Close()
				}
				if err == nil {
					_, err = castore.Closure(ctx, s.Directories, top.Digest())
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

func mustDir(t *testing.T, entries ...castore.Entry) *castore.Directory {
	t.Helper()
	d, err := castore.NewDirectory(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func putAll(t *testing.T, s *castore.Store, dirs ...*castore.Directory) castore.Digest {
	t.Helper()
	p := s.Directories.NewPutter(t.Context())
	for _, d := range dirs {
		if err := p.Put(d); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	root, err := p.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	return root
}

// checkClosure reads the closure of root back and checks it: root first,
// each directory once and after one that refers to it, exactly the
// expected set, and Get of each equal to what was put.
func checkClosure(t *testing.T, s *castore.Store, root castore.Digest, want ...*castore.Directory) []*castore.Directory {
	t.Helper()
	ctx := t.Context()
	wantSet := map[castore.Digest]*castore.Directory{}
	for _, d := range want {
		wantSet[d.Digest()] = d
	}
	got, err := castore.Closure(ctx, s.Directories, root)
	if err != nil {
		t.Fatalf("GetRecursive: %v", err)
	}
	referred := map[castore.Digest]bool{root: true}
	seen := map[castore.Digest]bool{}
	for i, d := range got {
		dg := d.Digest()
		if i == 0 && dg != root {
			t.Fatalf("GetRecursive yielded %s first, not the root %s", dg, root)
		}
		if seen[dg] {
			t.Fatalf("GetRecursive yielded %s twice", dg)
		}
		if !referred[dg] {
			t.Fatalf("GetRecursive yielded %s before any directory referring to it", dg)
		}
		if wantSet[dg] == nil {
			t.Fatalf("GetRecursive yielded unexpected %s", dg)
		}
		seen[dg] = true
		for _, e := range d.Entries {
			if e.Kind == castore.KindDirectory {
				referred[e.Digest] = true
			}
		}
	}
	if len(seen) != len(wantSet) {
		t.Fatalf("GetRecursive yielded %d directories, want %d", len(seen), len(wantSet))
	}
	for dg, d := range wantSet {
		g, err := s.Directories.Get(ctx, dg)
		if err != nil {
			t.Fatalf("Get(%s): %v", dg, err)
		}
		if g.Digest() != dg || len(g.Entries) != len(d.Entries) {
			t.Fatalf("Get(%s) returned a different directory", dg)
		}
	}
	return got
}

// runHostile sends directories that break the rules; every one must be
// refused with ErrInvalid and leave nothing visible.
func runHostile(t *testing.T, newStore Factory) {
	fx := Fixtures()
	a, b := fx["A"], fx["B"]
	file := castore.FileNode(helloBlob, 12, false)
	ent := func(name string, n castore.Node) castore.Entry { return castore.Entry{Name: name, Node: n} }
	raw := func(es ...castore.Entry) *castore.Directory { return &castore.Directory{Entries: es} }
	bigDir := castore.DirectoryNode(castore.Sum([]byte("x")), math.MaxUint64)

	for _, tc := range []struct {
		name string
		seq  []*castore.Directory // put in this order; the last is refused
	}{
		{"unsorted", []*castore.Directory{raw(ent("b", file), ent("a", file))}},
		{"duplicate", []*castore.Directory{raw(ent("a", file), ent("a", file))}},
		{"duplicate-across-kinds", []*castore.Directory{a, raw(ent("a", a.Node()), ent("a", file))}},
		{"empty-name", []*castore.Directory{raw(ent("", file))}},
		{"dot", []*castore.Directory{raw(ent(".", file))}},
		{"dotdot", []*castore.Directory{raw(ent("..", file))}},
		{"slash", []*castore.Directory{raw(ent("a/b", file))}},
		{"nul", []*castore.Directory{raw(ent("a\x00b", file))}},
		{"long-name", []*castore.Directory{raw(ent(strings.Repeat("x", 256), file))}},
		{"empty-target", []*castore.Directory{raw(ent("l", castore.SymlinkNode("")))}},
		{"nul-target", []*castore.Directory{raw(ent("l", castore.SymlinkNode("a\x00")))}},
		{"long-target", []*castore.Directory{raw(ent("l", castore.SymlinkNode(strings.Repeat("x", 4096))))}},
		{"bad-kind", []*castore.Directory{raw(ent("k", castore.Node{Kind: 9}))}},
		{"symlink-with-digest", []*castore.Directory{raw(ent("l", castore.Node{Kind: castore.KindSymlink, Target: "t", Digest: helloBlob}))}},
		{"size-overflow", []*castore.Directory{raw(ent("a", bigDir), ent("b", file))}},
		{"huge-size", []*castore.Directory{a, raw(ent("a", castore.DirectoryNode(a.Digest(), math.MaxUint64)))}},
		{"wrong-size", []*castore.Directory{a, raw(ent("a", castore.DirectoryNode(a.Digest(), 5)))}},
		{"undersized", []*castore.Directory{a, b, raw(ent("b", castore.DirectoryNode(b.Digest(), 0)))}},
		{"missing-child", []*castore.Directory{b}},
		{"missing-grandchild", []*castore.Directory{raw(ent("b", b.Node()))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, s := open(t, newStore)
			p := s.Directories.NewPutter(ctx)
			var err error
			for i, d := range tc.seq {
				err = p.Put(d)
				if i < len(tc.seq)-1 && err != nil {
					t.Fatalf("Put %d: %v", i, err)
				}
			}
			if err == nil {
				_, err = p.Close()
			}
			if !errors.Is(err, castore.ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
			for _, d := range tc.seq {
				if _, err := s.Directories.Get(ctx, d.Digest()); !errors.Is(err, castore.ErrNotFound) {
					t.Errorf("after a refused closure, Get(%s) = %v; want ErrNotFound", d.Digest(), err)
				}
			}
		})
	}

	t.Run("child-from-earlier-putter", func(t *testing.T) {
		// The closure must be complete in one upload: a child stored by an
		// earlier putter does not count.
		ctx, s := open(t, newStore)
		putAll(t, s, a)
		p := s.Directories.NewPutter(ctx)
		if err := p.Put(b); !errors.Is(err, castore.ErrInvalid) {
			t.Fatalf("Put = %v, want ErrInvalid", err)
		}
	})

	t.Run("disconnected", func(t *testing.T) {
		ctx, s := open(t, newStore)
		p := s.Directories.NewPutter(ctx)
		if err := p.Put(a); err != nil {
			t.Fatal(err)
		}
		if err := p.Put(fx["keep"]); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Close(); !errors.Is(err, castore.ErrInvalid) {
			t.Fatalf("Close = %v, want ErrInvalid (A is not below the root)", err)
		}
		if _, err := s.Directories.Get(ctx, fx["keep"].Digest()); !errors.Is(err, castore.ErrNotFound) {
			t.Errorf("refused closure is visible: %v", err)
		}
	})

	t.Run("nothing-sent", func(t *testing.T) {
		ctx, s := open(t, newStore)
		if _, err := s.Directories.NewPutter(ctx).Close(); !errors.Is(err, castore.ErrInvalid) {
			t.Fatalf("Close = %v, want ErrInvalid", err)
		}
	})
}
