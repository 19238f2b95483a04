package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/govix/govix/build/oci"
	"github.com/govix/govix/build/sandbox"
	"github.com/govix/govix/castore/fsio"
	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/nar"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
)

// fixture is a govix store with a builder, next to a Nix store.
type fixture struct {
	dir      string
	nixStore string
	bbdir    string
	st       *store.Store
	service  *oci.Builder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	testutil.RequireNix(t)
	testutil.RequireCommand(t, "runc")
	bb := testutil.RequireCommand(t, "busybox")
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("the builder needs root under CI")
		}
		t.Skip("the sandbox needs root")
	}
	ctx := context.Background()
	f := &fixture{dir: t.TempDir()}
	f.nixStore = filepath.Join(f.dir, "nix")
	f.bbdir = filepath.Join(f.dir, "bb")
	if err := os.Mkdir(f.bbdir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.bbdir, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	f.st, err = backend.Open(ctx, "memory://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	rt, err := sandbox.New(ctx, sandbox.Config{StateDir: filepath.Join(f.dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	f.service, err = oci.New(oci.Options{Store: f.st.Castore(), Runtime: rt, CacheDir: filepath.Join(f.dir, "inputs"), WorkDir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// nix runs a Nix command on the fixture's Nix store with the sandbox on.
func (f *fixture) nix(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	full := append([]string{"--store", f.nixStore, "--option", "substituters", ""}, args...)
	if name == "nix-build" {
		full = append(full, "--no-out-link", "--option", "sandbox", "true", "--option", "build-users-group", "")
	}
	cmd := exec.Command(name, full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return stderr.String(), fmt.Errorf("%s: %w\n%s", name, err, stderr.String())
	}
	return string(out), nil
}

// instantiate writes the derivations of expr with Nix and imports them
// (with their sources) into the govix store.
func (f *fixture) instantiate(t *testing.T, expr string) []storepath.StorePath {
	t.Helper()
	out, err := f.nix(t, "nix-instantiate", "-E", expr)
	if err != nil {
		t.Fatal(err)
	}
	paths := strings.Fields(out)
	if err := importFromNix(context.Background(), f.st, f.nixStore, paths); err != nil {
		t.Fatal(err)
	}
	var drvs []storepath.StorePath
	for _, p := range paths {
		sp, err := storepath.DefaultStoreDir.Parse(p)
		if err != nil {
			t.Fatal(err)
		}
		drvs = append(drvs, sp)
	}
	return drvs
}

func (f *fixture) builder(opts Options) *Builder {
	opts.Store = f.st
	opts.Service = f.service
	opts.Logs = NewLogs(filepath.Join(f.dir, "logs"))
	return New(opts)
}

// fileServer serves one file on loopback and returns its URL and sha256.
func fileServer(t *testing.T, body string) (string, string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	sum := sha256.Sum256([]byte(body))
	return srv.URL + "/file", hex.EncodeToString(sum[:])
}

// nixPathInfo is what nix path-info --json says of a path.
type nixPathInfo struct {
	Path       string   `json:"path"`
	NarHash    string   `json:"narHash"`
	NarSize    uint64   `json:"narSize"`
	References []string `json:"references"`
	CA         string   `json:"ca"`
	Deriver    string   `json:"deriver"`
}

func (f *fixture) outputsOf(t *testing.T, drvs []storepath.StorePath) []string {
	var outs []string
	for _, d := range drvs {
		drv, err := ReadDerivation(context.Background(), f.st, storepath.DefaultStoreDir, storepath.DefaultStoreDir.Print(d))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range drv.Outputs {
			outs = append(outs, o.Path)
		}
	}
	slices.Sort(outs)
	return slices.Compact(outs)
}

// TestSameOutputsAsNix builds testdata/graph.nix with nix-build and with
// govix and compares every output: path, NAR hash and size, references,
// content address, deriver.
func TestSameOutputsAsNix(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	url, hash := fileServer(t, "fetched over HTTP\n")
	graphNix, _ := filepath.Abs("testdata/graph.nix")
	expr := fmt.Sprintf(`import %s { bbdir = %s; url = %q; fileHash = %q; }`, graphNix, f.bbdir, url, hash)

	drvs := f.instantiate(t, expr)
	nixOut, err := f.nix(t, "nix-build", "-E", expr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("nix-build:\n%s", nixOut)

	var targets []Target
	for _, d := range drvs {
		targets = append(targets, Target{Drv: d})
	}
	report, err := f.builder(Options{}).Build(ctx, targets, false)
	if err != nil {
		for _, fl := range report.Failures {
			t.Logf("%s: %v", fl.Drv, fl.Err)
			var be *BuilderError
			if errors.As(fl.Err, &be) {
				t.Logf("log:\n%s", be.Failed.Last().LogTail)
			}
		}
		t.Fatal(err)
	}
	if len(report.Built) != 7 {
		t.Errorf("built %d derivations, want 7", len(report.Built))
	}

	outs := f.outputsOf(t, drvs)
	js, err := f.nix(t, "nix", append([]string{"--extra-experimental-features", "nix-command", "path-info", "--json"}, outs...)...)
	if err != nil {
		t.Fatal(err)
	}
	var nixInfos []nixPathInfo
	if err := json.Unmarshal([]byte(js), &nixInfos); err != nil {
		t.Fatal(err)
	}
	if len(nixInfos) != len(outs) {
		t.Fatalf("nix path-info gave %d paths, want %d", len(nixInfos), len(outs))
	}
	for _, want := range nixInfos {
		p, _ := storepath.DefaultStoreDir.Parse(want.Path)
		info, err := f.st.PathInfo.Get(ctx, p.Digest)
		if err != nil {
			t.Errorf("%s: %v", want.Path, err)
			continue
		}
		got := nixPathInfo{
			Path:    storepath.DefaultStoreDir.Print(info.StorePath),
			NarHash: info.NarHash().SRI(),
			NarSize: info.NarSize,
			CA:      info.CA.String(),
			Deriver: storepath.DefaultStoreDir.Print(info.Deriver),
		}
		for _, r := range info.References {
			got.References = append(got.References, storepath.DefaultStoreDir.Print(r))
		}
		if want.References == nil {
			want.References = nil
		}
		if strings.HasSuffix(want.Path, "-isolated") {
			f.checkIsolated(t, info)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s differs\n nix:   %+v\n govix: %+v", want.Path, want, got)
			f.showDiff(t, want.Path, info)
		}
	}
}

// checkIsolated looks at what the isolated derivation saw.
func (f *fixture) checkIsolated(t *testing.T, info *store.PathInfo) {
	p := filepath.Join(t.TempDir(), "isolated")
	if err := fsio.Export(context.Background(), f.st.Castore(), info.Node, p, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	t.Logf("the isolated build saw:\n%s", b)
	for _, want := range []string{"no network", "no host files", "no host directories"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the isolated build did not report %q", want)
		}
	}
}

// showDiff prints how govix's version of an output differs from Nix's.
func (f *fixture) showDiff(t *testing.T, p string, info *store.PathInfo) {
	ours := filepath.Join(t.TempDir(), "govix")
	if err := fsio.Export(context.Background(), f.st.Castore(), info.Node, ours, nil); err != nil {
		t.Log(err)
		return
	}
	out, _ := exec.Command("diff", "-r", filepath.Join(f.nixStore, p), ours).CombinedOutput()
	t.Logf("diff nix govix:\n%s", out)
}

// importFromNix copies store derivations and their closures from a Nix
// store. (store/nixlocal goes through the new CLI, where a .drv path names
// the derivation's outputs.)
func importFromNix(ctx context.Context, st *store.Store, nixStore string, paths []string) error {
	cmd := exec.Command("nix", append([]string{"--extra-experimental-features", "nix-command", "path-info", "--store", nixStore,
		"--option", "substituters", "", "--json", "--recursive", "--derivation"}, paths...)...)
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("nix path-info: %w", err)
	}
	var nixInfos []nixPathInfo
	if err := json.Unmarshal(out, &nixInfos); err != nil {
		return err
	}
	var infos []*store.PathInfo
	for _, ni := range nixInfos {
		p, err := storepath.DefaultStoreDir.Parse(ni.Path)
		if err != nil {
			return err
		}
		h, err := nixhash.ParseAny(ni.NarHash, nixhash.SHA256)
		if err != nil {
			return err
		}
		info := &store.PathInfo{StorePath: p, NarSize: ni.NarSize}
		copy(info.NarSHA256[:], h.Digest())
		for _, r := range ni.References {
			rp, err := storepath.DefaultStoreDir.Parse(r)
			if err != nil {
				return err
			}
			info.References = append(info.References, rp)
		}
		if ni.CA != "" {
			if info.CA, err = storepath.ParseContentAddress(ni.CA); err != nil {
				return err
			}
		}
		// The Nix store is a chroot store: its files are under nixStore.
		var narBuf bytes.Buffer
		if err := nar.DumpPath(ctx, &narBuf, filepath.Join(nixStore, ni.Path)); err != nil {
			return err
		}
		res, err := store.IngestNAR(ctx, st.Blobs, st.Directories, &narBuf, &store.IngestOptions{Size: info.NarSize, SHA256: &info.NarSHA256})
		if err != nil {
			return err
		}
		info.Node = res.Node
		infos = append(infos, info)
	}
	infos, err = store.TopoSort(infos)
	if err != nil {
		return err
	}
	for _, info := range infos {
		if _, err := st.PathInfo.Put(ctx, info); err != nil {
			return err
		}
	}
	return nil
}
