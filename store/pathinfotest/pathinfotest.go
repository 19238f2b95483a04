// Package pathinfotest is the conformance suite for PathInfoService
// backends: every one must pass Run.
package pathinfotest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// Factory returns a new, empty store whose PathInfoService is under test.
type Factory func(t *testing.T) *store.Store

// Fixture returns a valid PathInfo named name whose contents (a file
// holding contents) are put into st's castore, with every field set.
func Fixture(t testing.TB, st *store.Store, name, contents string) *store.PathInfo {
	t.Helper()
	ctx := context.Background()
	d, size, err := st.Blobs.Put(ctx, bytes.NewReader([]byte(contents)))
	if err != nil {
		t.Fatal(err)
	}
	sp := mustPath(t, name)
	info := &store.PathInfo{
		StorePath:  sp,
		Node:       castore.FileNode(d, size, false),
		References: []storepath.StorePath{mustPath(t, "dep-"+name), sp},
		Deriver:    mustPath(t, name+".drv"),
	}
	info.NarSize, info.NarSHA256, err = store.CalculateNAR(ctx, st.Blobs, st.Directories, info.Node)
	if err != nil {
		t.Fatal(err)
	}
	key, err := narinfo.GenerateKey("pathinfotest-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := info.Sign(storepath.DefaultStoreDir, key); err != nil {
		t.Fatal(err)
	}
	return info
}

func mustPath(t testing.TB, name string) storepath.StorePath {
	t.Helper()
	h := sha256.Sum256([]byte(name))
	p, err := storepath.New([storepath.DigestSize]byte(h[:storepath.DigestSize]), name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Run runs the suite.
func Run(t *testing.T, newStore Factory) {
	t.Run("GetMissing", func(t *testing.T) {
		st := newStore(t)
		_, err := st.PathInfo.Get(context.Background(), [20]byte{1, 2, 3})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get of a missing path: %v, want ErrNotFound", err)
		}
	})
	t.Run("PutGet", func(t *testing.T) {
		st := newStore(t)
		ctx := context.Background()
		info := Fixture(t, st, "hello-1.0", "hello")
		ca, err := storepath.ParseContentAddress("fixed:r:sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s")
		if err != nil {
			t.Fatal(err)
		}
		info.CA = ca
		put, err := st.PathInfo.Put(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		want := info.Clone()
		want.Normalize()
		if !reflect.DeepEqual(put, want) {
			t.Errorf("Put returned\n%+v\nwant\n%+v", put, want)
		}
		got, err := st.PathInfo.Get(ctx, info.StorePath.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Get returned\n%+v\nwant\n%+v", got, want)
		}
		// What Get returns is the caller's: changing it changes nothing.
		got.References = nil
		again, _ := st.PathInfo.Get(ctx, info.StorePath.Digest)
		if len(again.References) != len(want.References) {
			t.Error("changing a returned PathInfo changed the stored one")
		}
	})
	t.Run("PutReplaces", func(t *testing.T) {
		st := newStore(t)
		ctx := context.Background()
		a := Fixture(t, st, "x-1", "first")
		b := Fixture(t, st, "x-1", "second")
		for _, p := range []*store.PathInfo{a, b} {
			if _, err := st.PathInfo.Put(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.PathInfo.Get(ctx, a.StorePath.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got.Node != b.Node {
			t.Errorf("after two Puts Get returns %v, want the second %v", got.Node, b.Node)
		}
	})
	t.Run("PutInvalid", func(t *testing.T) {
		st := newStore(t)
		ctx := context.Background()
		base := Fixture(t, st, "valid", "v")
		for name, mutate := range map[string]func(p *store.PathInfo){
			"no store path":   func(p *store.PathInfo) { p.StorePath = storepath.StorePath{} },
			"bad node":        func(p *store.PathInfo) { p.Node = castore.Node{} },
			"bad symlink":     func(p *store.PathInfo) { p.Node = castore.SymlinkNode("") },
			"bad signature":   func(p *store.PathInfo) { p.Signatures = []string{"nocolon"} },
			"short signature": func(p *store.PathInfo) { p.Signatures = []string{"k:AAAA"} },
			"bad reference":   func(p *store.PathInfo) { p.References = []storepath.StorePath{{Name: "a/b"}} },
			"text ca sha1": func(p *store.PathInfo) {
				p.CA = storepath.ContentAddress{Text: true, Hash: nixhash.Sum(nixhash.SHA1, nil)}
			},
		} {
			p := base.Clone()
			mutate(p)
			if _, err := st.PathInfo.Put(ctx, p); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: Put = %v, want ErrInvalid", name, err)
			}
		}
	})
	t.Run("List", func(t *testing.T) {
		st := newStore(t)
		ctx := context.Background()
		want := map[string]bool{}
		for i := range 50 {
			p := Fixture(t, st, fmt.Sprintf("p%d", i), fmt.Sprint(i))
			if _, err := st.PathInfo.Put(ctx, p); err != nil {
				t.Fatal(err)
			}
			want[p.StorePath.String()] = true
		}
		got := map[string]bool{}
		for p, err := range st.PathInfo.List(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if got[p.StorePath.String()] {
				t.Errorf("List yields %s twice", p.StorePath)
			}
			got[p.StorePath.String()] = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("List yields %d paths, want %d", len(got), len(want))
		}
		// Stopping early is fine.
		for range st.PathInfo.List(ctx) {
			break
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		st := newStore(t)
		ctx := context.Background()
		infos := make([]*store.PathInfo, 64)
		for i := range infos {
			infos[i] = Fixture(t, st, fmt.Sprintf("c%d", i), fmt.Sprint("c", i))
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(infos)*2)
		for _, p := range infos {
			wg.Go(func() {
				if _, err := st.PathInfo.Put(ctx, p); err != nil {
					errs <- err
					return
				}
				got, err := st.PathInfo.Get(ctx, p.StorePath.Digest)
				if err != nil {
					errs <- err
				} else if got.Node != p.Node {
					errs <- fmt.Errorf("%s: wrong node", p.StorePath)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}
