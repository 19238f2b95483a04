package nixlocal_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
	"github.com/govix/govix/store/internal/nixtest"
	"github.com/govix/govix/store/nixlocal"
)

// TestImport: a closure imported from a Nix store has Nix's metadata, and
// each path renders to the NAR nix-store --dump gives; importing again
// skips everything.
func TestImport(t *testing.T) {
	nix := nixtest.New(t)
	cl := nix.BuildClosure("imp")
	ctx := context.Background()
	st, err := backend.Open(ctx, "memory://")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := nixlocal.Import(ctx, st, []string{cl.Top}, &nixlocal.Options{NixStore: cl.Store})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(cl.Paths) {
		t.Fatalf("imported %d paths, want %d", len(infos), len(cl.Paths))
	}
	want := nix.PathInfos(cl.Store, cl.Paths...)
	for _, p := range cl.Paths {
		sp, _ := storepath.DefaultStoreDir.Parse(p)
		info, err := st.PathInfo.Get(ctx, sp.Digest)
		if err != nil {
			t.Fatal(err)
		}
		w := want[p]
		if info.NarHash().Format(nixhash.SRI, true) != w.NarHash || info.NarSize != w.NarSize || info.CA.String() != w.CA {
			t.Errorf("%s: imported %s %d %q, Nix has %s %d %q", p, info.NarHash().Format(nixhash.SRI, true), info.NarSize, info.CA, w.NarHash, w.NarSize, w.CA)
		}
		if w.Deriver != "" && storepath.DefaultStoreDir.Print(info.Deriver) != w.Deriver {
			t.Errorf("%s: deriver %s, Nix has %s", p, info.Deriver, w.Deriver)
		}
		dump, err := exec.Command("nix-store", "--dump", filepath.Join(cl.Store, p)).Output()
		if err != nil {
			t.Fatal(err)
		}
		r, err := store.NewNARReader(ctx, st.Blobs, st.Directories, info.Node)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		r.WriteTo(&b)
		if !bytes.Equal(b.Bytes(), dump) || sha256.Sum256(dump) != info.NarSHA256 {
			t.Errorf("%s: rendered NAR differs from nix-store --dump", p)
		}
	}
	skipped := 0
	if _, err := nixlocal.Import(ctx, st, []string{cl.Top}, &nixlocal.Options{NixStore: cl.Store, Progress: func(_ *store.PathInfo, s bool) {
		if s {
			skipped++
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if skipped != len(cl.Paths) {
		t.Errorf("second import skipped %d of %d paths", skipped, len(cl.Paths))
	}
}
