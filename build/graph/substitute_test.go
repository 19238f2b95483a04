package graph

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
)

// TestSubstitutesFirst: outputs a Nix binary cache has (signed by a
// trusted key) are copied from it, with their closure, instead of built;
// what it lacks is built.
func TestSubstitutesFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	expr := fmt.Sprintf(`let bb = builtins.path { path = %s; name = "busybox"; }; sh = "${bb}/busybox";
		mk = name: s: derivation { inherit name; system = "x86_64-linux"; builder = sh; args = [ "sh" "-c" s ]; };
		lib = mk "sublib" "echo lib > $out";
		in { lib = lib; app = mk "subapp" "echo uses ${lib} > $out"; other = mk "subother" "echo other > $out"; }`, f.bbdir)
	drvs := f.instantiate(t, expr)
	if _, err := f.nix(t, "nix-build", "-E", expr, "-A", "app"); err != nil {
		t.Fatal(err)
	}
	// A signed binary cache holding app's closure (app, lib, busybox).
	keyDir := t.TempDir()
	sk, pk := filepath.Join(keyDir, "sk"), filepath.Join(keyDir, "pk")
	if out, err := exec.Command("nix-store", "--generate-binary-cache-key", "test-1", sk, pk).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	cache := filepath.Join(t.TempDir(), "cache")
	appOut, err := f.nix(t, "nix-build", "-E", expr, "-A", "app")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.nix(t, "nix", "--extra-experimental-features", "nix-command", "copy", "--to", "file://"+cache+"?secret-key="+sk, strings.TrimSpace(appOut)); err != nil {
		t.Fatal(err)
	}
	pub, _ := os.ReadFile(pk)
	u := "nix+file://" + cache + "?trusted-public-keys=" + url.QueryEscape(strings.TrimSpace(string(pub)))
	sub, err := backend.OpenWith(ctx, u, &backend.Options{IngestInto: f.st.Castore()})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	keys, err := parseTestKeys(string(pub))
	if err != nil {
		t.Fatal(err)
	}
	report, err := f.builder(Options{Substituters: []*store.Store{sub}, TrustedKeys: keys}).Build(ctx, []Target{{Drv: drvs[0]}, {Drv: drvs[2]}}, false)
	if err != nil {
		t.Fatal(err)
	}
	var built, substituted []string
	for _, d := range report.Built {
		built = append(built, d.Name)
	}
	for _, p := range report.Substituted {
		substituted = append(substituted, p.Name)
	}
	// The targets sort as app, lib, other.
	if strings.Join(built, " ") != "subother.drv" {
		t.Errorf("built %v, want only subother", built)
	}
	if strings.Join(substituted, " ") != "subapp" {
		t.Errorf("substituted %v, want subapp (and its closure with it)", substituted)
	}
	for _, name := range []string{"subapp", "sublib", "busybox"} {
		found := false
		for info, err := range f.st.PathInfo.List(ctx) {
			if err == nil && info.StorePath.Name == name {
				found = true
			}
		}
		if !found {
			t.Errorf("%s is not in the store after substitution", name)
		}
	}
}

func parseTestKeys(s string) ([]narinfo.PublicKey, error) {
	k, err := narinfo.ParsePublicKey(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	return []narinfo.PublicKey{k}, nil
}
