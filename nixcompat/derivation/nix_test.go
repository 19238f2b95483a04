package derivation

// Tests against real Nix 2.8: every derivation of the bash closure from
// auxcore, and testdata/drvs.nix (derivations of every shape), are
// instantiated into throw-away stores, then parsed, written, hashed and
// shown by this package and compared with what Nix wrote and prints.

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/storepath"
)

// experimental lets Nix read and write floating and impure derivations.
var experimental = []string{"--extra-experimental-features", "nix-command ca-derivations impure-derivations"}

// instantiated is a set of store derivations that Nix wrote.
type instantiated struct {
	storeURL string             // for --store
	dir      storepath.StoreDir // the store directory inside it
	root     string             // where dir's files really are ("" if at dir itself)
	raw      map[string][]byte  // drv path → ATerm bytes
}

func (in *instantiated) file(p string) string { return in.root + p }

func (in *instantiated) load(_ context.Context, p string) (*Derivation, error) {
	b, err := os.ReadFile(in.file(p))
	if err != nil {
		return nil, err
	}
	return ParseIn(in.dir, b)
}

// instantiate runs nix-instantiate on args in a new store and collects
// every .drv file it wrote. customDir selects a store with its own store
// directory instead of a chroot store for /nix/store.
func instantiate(t testing.TB, customDir bool, args ...string) *instantiated {
	t.Helper()
	bin := testutil.RequireNix(t)
	tmp := t.TempDir()
	in := &instantiated{raw: map[string][]byte{}}
	if customDir {
		in.dir = storepath.StoreDir(tmp + "/store")
		in.storeURL = fmt.Sprintf("local?store=%s/store&state=%s/state&log=%s/log", tmp, tmp, tmp)
	} else {
		in.dir = storepath.DefaultStoreDir
		in.storeURL = tmp + "/s"
		in.root = tmp + "/s"
	}
	cmd := exec.Command(bin+"/nix-instantiate", append(append(append([]string{}, experimental...), "--store", in.storeURL), args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("nix-instantiate %v: %v\n%s", args, err, stderr.Bytes())
	}
	ents, err := os.ReadDir(in.file(string(in.dir)))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".drv") {
			continue
		}
		p := string(in.dir) + "/" + e.Name()
		b, err := os.ReadFile(in.file(p))
		if err != nil {
			t.Fatal(err)
		}
		in.raw[p] = b
	}
	if len(in.raw) == 0 {
		t.Fatalf("nix-instantiate %v wrote no derivations", args)
	}
	return in
}

func auxcoreSrc(t testing.TB) string {
	src, err := filepath.Abs("../../../shared/conformance/auxcore/src")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		if testutil.InCI() {
			t.Fatalf("auxcore conformance data missing: %v", err)
		}
		t.Skipf("auxcore conformance data missing: %v", err)
	}
	return src
}

func TestBashClosure(t *testing.T) {
	in := instantiate(t, false, auxcoreSrc(t), "-A", "bash")
	t.Logf("%d derivations in the closure of bash", len(in.raw))
	checkAll(t, in)
}

func TestShapes(t *testing.T) {
	for _, custom := range []bool{false, true} {
		t.Run(fmt.Sprintf("customStoreDir=%v", custom), func(t *testing.T) {
			in := instantiate(t, custom, "testdata/drvs.nix")
			checkAll(t, in)
		})
	}
}

// checkAll runs every comparison with Nix on a set of derivations.
func checkAll(t *testing.T, in *instantiated) {
	ctx := context.Background()
	paths := slices.Sorted(maps.Keys(in.raw))
	drvs := map[string]*Derivation{}
	for _, p := range paths {
		d, err := ParseIn(in.dir, in.raw[p])
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		drvs[p] = d
		if got := d.ATerm(); !bytes.Equal(got, in.raw[p]) {
			t.Errorf("%s: writing the parsed derivation does not give back Nix's bytes:\n got %q\nwant %q", p, got, in.raw[p])
		}
	}

	t.Run("drvPath", func(t *testing.T) {
		for _, p := range paths {
			name, err := NameFromPath(p)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := drvs[p].Path(in.dir, name)
			if err != nil {
				t.Fatal(err)
			}
			if got := in.dir.Print(sp); got != p {
				t.Errorf("store path of the derivation: got %s, want %s", got, p)
			}
		}
	})

	t.Run("outputPaths", func(t *testing.T) {
		h := NewHasher(in.dir, in.load)
		kinds := map[OutputKind]int{}
		for _, p := range paths {
			name, _ := NameFromPath(p)
			if err := h.CheckOutputPaths(ctx, drvs[p], name); err != nil {
				t.Errorf("%s: %v", p, err)
			}
			for _, o := range drvs[p].Outputs {
				kinds[o.Kind()]++
			}
		}
		t.Logf("outputs by kind: %v", kinds)
	})

	t.Run("fillOutputs", func(t *testing.T) {
		h := NewHasher(in.dir, in.load)
		for _, p := range paths {
			name, _ := NameFromPath(p)
			d := drvs[p].Clone()
			// Forget what instantiation added, keeping only the kinds.
			for outName, o := range d.Outputs {
				switch o.Kind() {
				case InputAddressed, Deferred:
					d.Outputs[outName] = Output{}
					d.Env[outName] = "filled in later"
				default:
					o.Path = ""
					d.Outputs[outName] = o
					delete(d.Env, outName)
				}
			}
			if err := h.FillOutputs(ctx, d, name); err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if got := d.ATerm(); !bytes.Equal(got, in.raw[p]) {
				t.Errorf("%s: FillOutputs gives\n%s\nwant\n%s", p, got, in.raw[p])
			}
		}
	})

	t.Run("showDerivation", func(t *testing.T) {
		bin := testutil.RequireNix(t)
		args := append(append([]string{}, experimental...), "--store", in.storeURL, "show-derivation")
		cmd := exec.Command(bin+"/nix", append(args, paths...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		want, err := cmd.Output()
		if err != nil {
			t.Fatalf("nix show-derivation: %v\n%s", err, stderr.Bytes())
		}
		got, err := AppendShowJSON(nil, in.dir, drvs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			diffLines(t, got, want)
		}
	})
}

// diffLines reports the first line where got and want differ.
func diffLines(t *testing.T, got, want []byte) {
	t.Helper()
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("output differs from Nix's at line %d:\n got %q\nwant %q", i+1, gl, wl)
			return
		}
	}
	t.Errorf("output differs from Nix's")
}

func BenchmarkBashClosure(b *testing.B) {
	in := instantiate(b, false, auxcoreSrc(b), "-A", "bash")
	paths := slices.Sorted(maps.Keys(in.raw))
	total := 0
	for _, p := range paths {
		total += len(in.raw[p])
	}
	drvs := map[string]*Derivation{}
	for _, p := range paths {
		d, err := Parse(in.raw[p])
		if err != nil {
			b.Fatal(err)
		}
		drvs[p] = d
	}
	b.Run("Parse", func(b *testing.B) {
		b.SetBytes(int64(total))
		for b.Loop() {
			for _, p := range paths {
				if _, err := Parse(in.raw[p]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Write", func(b *testing.B) {
		b.SetBytes(int64(total))
		var buf []byte
		for b.Loop() {
			for _, p := range paths {
				buf = drvs[p].AppendATerm(buf[:0])
			}
		}
	})
	b.Run("HashModulo", func(b *testing.B) {
		// Every derivation's output paths, from a cold memo, with the
		// derivations already parsed: the cost of hashing the graph.
		load := func(_ context.Context, p string) (*Derivation, error) { return drvs[p], nil }
		for b.Loop() {
			h := NewHasher(storepath.DefaultStoreDir, load)
			for _, p := range paths {
				name, _ := NameFromPath(p)
				if _, err := h.OutputPaths(context.Background(), drvs[p], name); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("ShowJSON", func(b *testing.B) {
		for b.Loop() {
			if _, err := AppendShowJSON(nil, storepath.DefaultStoreDir, drvs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
