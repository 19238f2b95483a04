package derivation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/nixcompat/storepath"
)

// The golden files are derivations Nix 2.8 instantiated from
// testdata/drvs.nix, each with what `nix show-derivation` printed for it.
func goldenDrvs(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/golden/*.drv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden derivations: %v", err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m["/nix/store/"+filepath.Base(f)] = b
	}
	return m
}

func goldenLoader(golden map[string][]byte) Loader {
	return func(_ context.Context, p string) (*Derivation, error) {
		b, ok := golden[p]
		if !ok {
			return nil, os.ErrNotExist
		}
		return Parse(b)
	}
}

func TestGolden(t *testing.T) {
	golden := goldenDrvs(t)
	h := NewHasher(storepath.DefaultStoreDir, goldenLoader(golden))
	for p, raw := range golden {
		d, err := Parse(raw)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := d.ATerm(); !bytes.Equal(got, raw) {
			t.Errorf("%s: round trip differs:\n got %s\nwant %s", p, got, raw)
		}
		var buf bytes.Buffer
		if _, err := d.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), raw) {
			t.Errorf("%s: WriteTo differs from ATerm (%v)", p, err)
		}
		name, err := NameFromPath(p)
		if err != nil {
			t.Fatal(err)
		}
		if sp, err := d.Path(storepath.DefaultStoreDir, name); err != nil || storepath.DefaultStoreDir.Print(sp) != p {
			t.Errorf("%s: Path = %v, %v", p, sp, err)
		}
		if err := h.CheckOutputPaths(context.Background(), d, name); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		want, err := os.ReadFile(strings.Replace(filepath.Join("testdata/golden", filepath.Base(p)), ".drv", ".json", 1))
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendShowJSON(nil, storepath.DefaultStoreDir, map[string]*Derivation{p: d})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			diffLines(t, got, want)
		}
	}
}

func TestStructuredAttrsRoundTrip(t *testing.T) {
	golden := goldenDrvs(t)
	var found bool
	for p, raw := range golden {
		if !strings.HasSuffix(p, "-structured.drv") {
			continue
		}
		found = true
		d, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		js := d.Env["__json"]
		if !strings.Contains(js, `"deep":"x\ny"`) || !strings.HasPrefix(js, `{"builder":"/bin/sh"`) {
			t.Errorf("__json not decoded as Nix wrote it: %s", js)
		}
	}
	if !found {
		t.Fatal("no structured-attrs golden derivation")
	}
}

// minimal is a small valid derivation; the error cases below break it.
const minimal = `Derive([("out","/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x","","")],[("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-d.drv",["dev","out"])],["/nix/store/0123456789abcdfghijklmnpqrsvwxyz-s"],"x86_64-linux","/bin/sh",["-c","echo \"hi\"\n"],[("a","1"),("b","x\ty")])`

func TestParseMinimal(t *testing.T) {
	d, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if d.Args[1] != "echo \"hi\"\n" || d.Env["b"] != "x\ty" || d.Platform != "x86_64-linux" {
		t.Errorf("parsed %+v", d)
	}
	if outs := d.InputDrvs["/nix/store/0123456789abcdfghijklmnpqrsvwxyz-d.drv"]; len(outs) != 2 || outs[0] != "dev" {
		t.Errorf("input derivations %v", d.InputDrvs)
	}
	if string(d.ATerm()) != minimal {
		t.Errorf("round trip: %s", d.ATerm())
	}
}

func TestParseErrors(t *testing.T) {
	const h = "0123456789abcdfghijklmnpqrsvwxyz"
	tests := []struct {
		name, old, new, msg string
	}{
		{"empty", minimal, "", `expected "Derive(["`},
		{"trailing", `y")])`, `y")])` + "\n", "unexpected bytes after the derivation"},
		{"truncated", `("b","x\ty")])`, `("b","x\ty`, "unterminated string"},
		{"missing comma", `"-c","echo`, `"-c""echo`, "expected ',' or ']'"},
		{"leading comma", `["-c"`, `[,"-c"`, "expected a list element"},
		{"trailing comma", `"x\ty")]`, `"x\ty"),]`, `expected "("`},
		{"unknown escape", `x\ty`, `x\qy`, `unknown escape "\\q"`},
		{"raw newline", `x\ty`, "x\ny", "unescaped '\\n'"},
		{"raw tab", `x\ty`, "x\ty", "unescaped '\\t'"},
		{"backslash in path", h + "-s", h + `-s\"`, "backslash in a string that Nix writes without escapes"},
		{"unsorted env", `("a","1"),("b"`, `("c","1"),("b"`, `environment variable "b" is not in sorted order`},
		{"duplicate env", `("a","1"),("b","x\ty")`, `("a","1"),("a","x\ty")`, `duplicate environment variable "a"`},
		{"unsorted outputs of input", `["dev","out"]`, `["out","dev"]`, "is not in sorted order"},
		{"bad input path", h + "-d.drv", "e" + h[1:] + "-d.drv", "illegal base-32 character 'e'"},
		{"input not in store", "/nix/store/" + h + "-d.drv", "/nix/other/" + h + "-d.drv", "is not a store path in '/nix/store'"},
		{"non-canonical path", "/nix/store/" + h + "-s", "/nix//store/" + h + "-s", "is not a store path"},
		{"bad output path", `"/nix/store/` + h + `-x",""`, `"/nix/store/x",""`, "output 'out'"},
		{"hash without algo", `-x","","")`, `-x","","abc")`, "without a hash algorithm"},
		{"unknown algo", `-x","","")`, `-x","sha3","abc")`, "unknown hash algorithm 'sha3'"},
		{"bad fixed hash", `-x","","")`, `-x","sha1","abc")`, "has wrong length for hash type 'sha1'"},
		{"upper-case fixed hash", `-x","","")`, `-x","sha1","DA39A3EE5E6B4B0D3255BFEF95601890AFD80709")`, "not in lower-case base 16"},
		{"nix32 fixed hash", `-x","","")`, `-x","sha1","6p1czmm5b9ziwqmlm2gkyilb2qvakqgb")`, "not in lower-case base 16"},
		{"floating with path", `-x","","")`, `-x","r:sha256","")`, "floating output cannot have a path"},
		{"impure with path", `-x","","")`, `-x","r:sha256","impure")`, "impure output cannot have a path"},
		{"empty output name", `("out",`, `("",`, "empty output name"},
		{"not a list", `,["/nix/store/` + h + `-s"]`, `,"/nix/store/` + h + `-s"`, `expected ",["`},
	}
	for _, tt := range tests {
		if !strings.Contains(minimal, tt.old) {
			t.Fatalf("%s: %q not in the minimal derivation", tt.name, tt.old)
		}
		in := strings.Replace(minimal, tt.old, tt.new, 1)
		if tt.name == "empty" {
			in = ""
		}
		_, err := Parse([]byte(in))
		if err == nil {
			t.Errorf("%s: no error for %s", tt.name, in)
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v is not a *ParseError", tt.name, err)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.msg)
		}
	}
}

func TestTypeErrors(t *testing.T) {
	const p = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x"
	fixed := Output{Path: p, HashAlgo: "sha1", Hash: "da39a3ee5e6b4b0d3255bfef95601890afd80709"}
	tests := []struct {
		outputs map[string]Output
		msg     string
	}{
		{map[string]Output{}, "must have at least one output"},
		{map[string]Output{"out": {Path: p}, "dev": {}}, "can't mix derivation output types"},
		{map[string]Output{"out": fixed, "dev": fixed}, "only one fixed output is allowed"},
		{map[string]Output{"dev": fixed}, `single fixed output must be named "out"`},
		{map[string]Output{"out": {HashAlgo: "sha256"}, "dev": {HashAlgo: "sha1"}}, "all floating outputs must use the same hash type"},
	}
	for _, tt := range tests {
		d := &Derivation{Outputs: tt.outputs}
		if _, err := d.Type(); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Type() of %v: %v, want %q", tt.outputs, err, tt.msg)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	// builtins.placeholder "out" in Nix 2.8.
	if got, want := Placeholder("out"), "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"; got != want {
		t.Errorf("Placeholder(out) = %s, want %s", got, want)
	}
}

func TestNormalize(t *testing.T) {
	d := &Derivation{
		Outputs:   map[string]Output{"out": {}},
		InputSrcs: []string{"/nix/store/b", "/nix/store/a", "/nix/store/b"},
		InputDrvs: map[string][]string{"/nix/store/x.drv": {"out", "dev", "out"}},
	}
	d.Normalize()
	if strings.Join(d.InputSrcs, " ") != "/nix/store/a /nix/store/b" || strings.Join(d.InputDrvs["/nix/store/x.drv"], " ") != "dev out" || d.Env == nil {
		t.Errorf("Normalize: %+v", d)
	}
}

func TestHasherErrors(t *testing.T) {
	ctx := context.Background()
	const dp = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-loop.drv"
	loop, err := Parse([]byte(`Derive([("out","","","")],[("` + dp + `",["out"])],[],"x","/bin/sh",[],[])`))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHasher(storepath.DefaultStoreDir, func(context.Context, string) (*Derivation, error) { return loop, nil })
	if _, err := h.PathHashModulo(ctx, dp); err == nil || !strings.Contains(err.Error(), "depends on itself") {
		t.Errorf("cycle: %v", err)
	}
	missing := NewHasher(storepath.DefaultStoreDir, func(context.Context, string) (*Derivation, error) { return nil, os.ErrNotExist })
	if _, err := missing.OutputPaths(ctx, loop, "loop"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing input: %v", err)
	}
	noOut, _ := Parse([]byte(`Derive([("dev","","","")],[],[],"x","/bin/sh",[],[])`))
	h2 := NewHasher(storepath.DefaultStoreDir, func(context.Context, string) (*Derivation, error) { return noOut, nil })
	if _, err := h2.OutputPaths(ctx, loop, "loop"); err == nil || !strings.Contains(err.Error(), "has no output 'out'") {
		t.Errorf("missing output: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := NewHasher(storepath.DefaultStoreDir, nil).PathHashModulo(cancelled, dp); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	for _, raw := range goldenDrvs(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		// Strictness means every accepted text is the one Nix would write.
		if got := d.ATerm(); !bytes.Equal(got, data) {
			t.Fatalf("Parse accepted %q, which writes as %q", data, got)
		}
		// Nothing downstream may panic on what the parser accepts.
		_, _ = AppendShowJSON(nil, storepath.DefaultStoreDir, map[string]*Derivation{"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-f.drv": d})
		h := NewHasher(storepath.DefaultStoreDir, func(context.Context, string) (*Derivation, error) { return d, nil })
		_, _ = h.OutputPaths(context.Background(), d, "f")
		_ = h.FillOutputs(context.Background(), d.Clone(), "f")
	})
}

func BenchmarkParse(b *testing.B) {
	raw := goldenDrvs(b)["/nix/store/a8phkpg5ddb1i6m0flck0hybi4cdvcs2-structured.drv"]
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	d, err := Parse(goldenDrvs(b)["/nix/store/a8phkpg5ddb1i6m0flck0hybi4cdvcs2-structured.drv"])
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	for b.Loop() {
		buf = d.AppendATerm(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

func TestHasherDepthLimit(t *testing.T) {
	// A loader that invents an endless chain of distinct derivations.
	n := 0
	load := func(_ context.Context, p string) (*Derivation, error) {
		n++
		next := fmt.Sprintf("/nix/store/%s-d%d.drv", strings.Repeat("0", 32), n)
		return &Derivation{
			Outputs:   map[string]Output{"out": {}},
			InputDrvs: map[string][]string{next: {"out"}},
			Env:       map[string]string{},
		}, nil
	}
	h := NewHasher(storepath.DefaultStoreDir, load)
	_, err := h.PathHashModulo(context.Background(), "/nix/store/"+strings.Repeat("0", 32)+"-d0.drv")
	if err == nil || !strings.Contains(err.Error(), "input derivations deep") {
		t.Errorf("endless chain: %v", err)
	}
}

func TestValidate(t *testing.T) {
	const p = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x"
	good := func() *Derivation {
		return &Derivation{
			Outputs:   map[string]Output{"out": {Path: p}},
			InputSrcs: []string{p},
			Platform:  "x86_64-linux",
			Builder:   "/bin/sh",
			Env:       map[string]string{"out": p, "weird": "\"\\\n"},
		}
	}
	if err := good().Validate(storepath.DefaultStoreDir); err != nil {
		t.Errorf("valid derivation: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(d *Derivation)
	}{
		{"unsorted sources", func(d *Derivation) { d.InputSrcs = []string{p, "/nix/store/0000000000000000000000000000000-a"} }},
		{"bad path", func(d *Derivation) { d.Outputs["out"] = Output{Path: "/tmp/x"} }},
		{"quote in platform", func(d *Derivation) { d.Platform = `x"y` }},
		{"quote shifting fields", func(d *Derivation) { d.Outputs["out"] = Output{Path: p + `","","`} }},
		{"other store", func(d *Derivation) {}},
	}
	for _, tt := range tests {
		d := good()
		tt.mutate(d)
		dir := storepath.DefaultStoreDir
		if tt.name == "other store" {
			dir = "/other/store"
		}
		if err := d.Validate(dir); err == nil {
			t.Errorf("%s: Validate accepted it", tt.name)
		}
	}
}
