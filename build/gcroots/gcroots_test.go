package gcroots

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/nixcompat/storepath"
)

func TestAutoName(t *testing.T) {
	// Names Nix 2.8 gave the indirect roots of nix-build's result links
	// (nix-build --store DIR, then ls DIR/nix/var/nix/gcroots/auto).
	for link, want := range map[string]string{
		"/tmp/rl/result":   "17hj7kbf4p0zk4b9q274b2n4j08kghcg",
		"/tmp/rl/result-2": "6012m79rzd4vf6ixx2fnd4v6n0s4xyda",
	} {
		if got := AutoName(link); got != want {
			t.Errorf("AutoName(%q) = %s, want %s", link, got, want)
		}
	}
}

func TestAddPermRoot(t *testing.T) {
	dir := t.TempDir()
	r := &Roots{Dir: filepath.Join(dir, "gcroots"), StoreDir: storepath.DefaultStoreDir}
	p1, err := storepath.DefaultStoreDir.Parse("/nix/store/5b577swj77pnp661sj5lrp1kmxwmhydf-a")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := storepath.DefaultStoreDir.Parse("/nix/store/9q77q3xvbfqxbfrnhspmvwysqwy39vpm-b")
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "result")
	abs, err := r.AddPermRoot(p1, link)
	if err != nil {
		t.Fatal(err)
	}
	if abs != link {
		t.Errorf("AddPermRoot returned %q, want %q", abs, link)
	}
	if got, _ := os.Readlink(link); got != "/nix/store/5b577swj77pnp661sj5lrp1kmxwmhydf-a" {
		t.Errorf("result -> %q", got)
	}
	if got, _ := os.Readlink(filepath.Join(r.Dir, "auto", AutoName(link))); got != link {
		t.Errorf("indirect root -> %q, want %q", got, link)
	}
	// A link into the store is replaced.
	if _, err := r.AddPermRoot(p2, link); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.Readlink(link); got != "/nix/store/9q77q3xvbfqxbfrnhspmvwysqwy39vpm-b" {
		t.Errorf("result -> %q after replacing", got)
	}
	roots, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 1 || roots[0].Link != link || roots[0].Path != p2 {
		t.Errorf("List = %v", roots)
	}

	// What is not a link into the store is not clobbered.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	other := filepath.Join(dir, "other")
	os.Symlink("/etc/passwd", other)
	for _, l := range []string{file, other} {
		_, err := r.AddPermRoot(p1, l)
		if err == nil || err.Error() != "cannot create symlink '"+l+"'; already exists" {
			t.Errorf("AddPermRoot over %s: %v", l, err)
		}
	}
	if _, err := r.AddPermRoot(p1, "/nix/store/result"); err == nil || !strings.Contains(err.Error(), "in the Nix store is forbidden") {
		t.Errorf("AddPermRoot in the store: %v", err)
	}

	// A removed link stops being a root, and its registration goes.
	os.Remove(link)
	roots, err = r.List()
	if err != nil || len(roots) != 0 {
		t.Errorf("List after removing the link = %v, %v", roots, err)
	}
	if _, err := os.Lstat(filepath.Join(r.Dir, "auto", AutoName(link))); !os.IsNotExist(err) {
		t.Errorf("stale registration left: %v", err)
	}
}
