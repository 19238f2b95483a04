package glue_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/glue"
	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
)

// auxcore is a trimmed nixpkgs (see ../shared/conformance/README.md):
// evaluating its packages exactly as Nix does is what the glue is for.
const auxcore = "../../shared/conformance/auxcore"

func auxcoreDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(auxcore)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "all-drvpaths.nix")); err != nil {
		t.Skipf("auxcore not available: %v", err)
	}
	return dir
}

// evalJSON evaluates expr with a glue configured by opts and returns the
// value as JSON.
func evalJSON(t testing.TB, expr string, opts glue.Options) []byte {
	t.Helper()
	g := glue.New(opts)
	var eo eval.Options
	g.Configure(&eo)
	ev := eval.New(eo)
	ctx := context.Background()
	v, err := ev.EvalSource(ctx, "«string»", t.TempDir(), []byte(expr))
	if err == nil {
		var b bytes.Buffer
		if err = ev.WriteJSON(ctx, &b, v, true); err == nil {
			if err := g.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}
	}
	if ee, ok := err.(*eval.Error); ok {
		t.Fatalf("evaluation failed:\n%s", ee.Format(false))
	}
	t.Fatal(err)
	return nil
}

// TestAuxcoreDrvPaths evaluates the drvPaths of all 520 packages of
// auxcore for x86_64-linux, as Nix 2.8 computed them (x86_64-linux.tsv).
func TestAuxcoreDrvPaths(t *testing.T) {
	dir := auxcoreDir(t)
	out := evalJSON(t, `import `+dir+`/all-drvpaths.nix { core = `+dir+`/src; }`, glue.Options{ReadOnly: true})
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "x86_64-linux.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, bad := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, want, _ := strings.Cut(sc.Text(), "\t")
		n++
		if got[name] != want {
			bad++
			if bad <= 10 {
				t.Errorf("%s: drvPath %s, Nix 2.8 gives %s", name, got[name], want)
			}
		}
	}
	if n != 520 || len(got) != 520 {
		t.Errorf("%d expected drvPaths, %d evaluated; want 520", n, len(got))
	}
	if bad > 0 {
		t.Errorf("%d of %d drvPaths differ", bad, n)
	}
}

// BenchmarkAuxcoreDrvPaths evaluates the 520 drvPaths of auxcore as
// bench/eval-auxcore.sh does (read-only), for -benchmem and profiles.
// (The CLI paces the collector for batch evaluation; this uses Go's
// default pacing, so compare allocations, not time, with the script.)
func BenchmarkAuxcoreDrvPaths(b *testing.B) {
	dir := auxcoreDir(b)
	expr := `import ` + dir + `/all-drvpaths.nix { core = ` + dir + `/src; }`
	b.ReportAllocs()
	for b.Loop() {
		evalJSON(b, expr, glue.Options{ReadOnly: true})
	}
}

// nixRW runs nix-instantiate with a store of its own (no fsync: it is
// thrown away).
func nixRW(t *testing.T, storeRoot string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("nix-instantiate", append([]string{"--store", storeRoot, "--option", "fsync-metadata", "false"}, args...)...)
	cmd.Env = append(os.Environ(), "NIX_PATH=", "NIX_STORE_DIR=/nix/store", "XDG_CACHE_HOME="+filepath.Join(storeRoot, "cache"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate %v: %v\n%s", args, err, stderr.Bytes())
	}
	return out
}

// TestAuxcoreOtherSystems evaluates the packages of auxcore for other
// systems (those the package set refuses there evaluate to null) and
// compares their drvPaths with Nix 2.8's.
func TestAuxcoreOtherSystems(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Nix 2.8 on the package set three times")
	}
	testutil.RequireNix(t)
	dir := auxcoreDir(t)
	tsv, err := os.ReadFile(filepath.Join(dir, "x86_64-linux.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(string(tsv)), "\n") {
		name, _, _ := strings.Cut(l, "\t")
		names = append(names, `"`+name+`"`)
	}
	for _, system := range []string{"aarch64-linux", "i686-linux", "riscv64-linux"} {
		t.Run(system, func(t *testing.T) {
			expr := `let pkgs = import ` + dir + `/src { system = "` + system + `"; }; in
			  builtins.listToAttrs (map (n: { name = n; value = let r = builtins.tryEval pkgs.${n}.drvPath; in if r.success then r.value else null; })
			    [ ` + strings.Join(names, " ") + ` ])`
			want := nixRW(t, t.TempDir(), "--eval", "--strict", "--json", "--read-write-mode", "-E", expr)
			got := evalJSON(t, expr, glue.Options{ReadOnly: true})
			var w, g map[string]*string
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			evaluated, bad := 0, 0
			for name, wp := range w {
				gp := g[name]
				if wp != nil {
					evaluated++
				}
				if (wp == nil) != (gp == nil) || wp != nil && *wp != *gp {
					bad++
					if bad <= 10 {
						t.Errorf("%s: drvPath %v, Nix 2.8 gives %v", name, deref(gp), deref(wp))
					}
				}
			}
			if bad > 0 || evaluated < 100 {
				t.Errorf("%d of %d packages differ (%d evaluated by Nix)", bad, len(w), evaluated)
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// TestAuxcoreStdenvDrvs instantiates auxcore's stdenv into a store and
// checks that every store derivation of its closure is the file Nix 2.8
// writes, byte for byte, with the same references.
func TestAuxcoreStdenvDrvs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Nix 2.8 on the stdenv bootstrap")
	}
	testutil.RequireNix(t)
	dir := auxcoreDir(t)
	expr := `(import ` + dir + `/src { system = "x86_64-linux"; }).stdenv`
	nixStore := t.TempDir()
	want := strings.TrimSpace(string(nixRW(t, nixStore, "-E", expr)))

	ctx := context.Background()
	st, err := backend.Open(ctx, "memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := evalJSON(t, expr+".drvPath", glue.Options{Store: st})
	var got string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("stdenv is %s, Nix 2.8 gives %s", got, want)
	}
	sp, err := storepath.DefaultStoreDir.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	closure, err := store.Closure(ctx, st.PathInfo, []storepath.StorePath{sp})
	if err != nil {
		t.Fatal(err)
	}
	nixClosure := strings.Fields(string(runNixStore(t, nixStore, "--query", "--requisites", want)))
	var paths []string
	drvs := 0
	for _, info := range closure {
		p := "/nix/store/" + info.StorePath.String()
		paths = append(paths, p)
		if !info.StorePath.IsDerivation() {
			continue
		}
		drvs++
		data, err := readBlob(ctx, st, info)
		if err != nil {
			t.Fatal(err)
		}
		nixData, err := os.ReadFile(filepath.Join(nixStore, p))
		if err != nil {
			t.Errorf("%s: not in Nix's store: %v", p, err)
			continue
		}
		if !bytes.Equal(data, nixData) {
			t.Errorf("%s differs from Nix's", p)
		}
	}
	slices.Sort(paths)
	slices.Sort(nixClosure)
	if !slices.Equal(paths, nixClosure) {
		t.Errorf("closure of %d paths, Nix's has %d", len(paths), len(nixClosure))
	}
	if drvs < 50 {
		t.Errorf("only %d derivations in stdenv's closure", drvs)
	}
	t.Logf("%d paths in stdenv's closure, %d of them derivations, identical to Nix's", len(paths), drvs)
}

func runNixStore(t *testing.T, storeRoot string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command("nix-store", append([]string{"--store", storeRoot}, args...)...).Output()
	if err != nil {
		t.Fatalf("nix-store %v: %v", args, err)
	}
	return out
}
