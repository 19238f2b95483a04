package syntax

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

func TestPrint(t *testing.T) {
	tests := []struct{ src, want string }{
		{`1`, `1`},
		{`1.5e3`, `1500`},
		{`123456789.0`, `1.23457e+08`},
		{`0.00001234`, `1.234e-05`},
		{`"a${b}c\n\t\$"`, `("a" + b + "c\n\t\$")`},
		{`"$${x}"`, `"\$\${x}"`},
		{`"$$${x}"`, `("\$\$" + x)`},
		{`''a'''b''`, `("a" + "''" + "b")`},
		{"''\n  ${x}\n''", `("" + x + "\n")`},
		{"''  a\n    b\n  ${c}''", `("a\n  b\n" + c)`},
		{`''''`, `""`},
		{`./a`, `/base/a`},
		{`a/${x}`, `(/base/a/ + x)`},
		{`~/a/${b}.nix`, `(/home/a/ + b + ".nix")`},
		{`/${b}`, `(/ + b)`},
		{`/a/../b/./c`, `/b/c`},
		{`<nixpkgs/lib>`, `(__findFile __nixPath "nixpkgs/lib")`},
		{`http://x.org/y`, `"http://x.org/y"`},
		{`a - b`, `(__sub a b)`},
		{`(a - b) c`, `(__sub a b c)`},
		{`(f a) b`, `(f a b)`},
		{`(-a) b`, `(__sub 0 a b)`},
		{`a < b`, `(__lessThan a b)`},
		{`a > b`, `(__lessThan b a)`},
		{`a <= b`, `(! (__lessThan b a))`},
		{`a >= b`, `(! (__lessThan a b))`},
		{`a * b / c`, `(__div (__mul a b) c)`},
		{`a + b + c`, `((a + b) + c)`},
		{`a ++ b ++ c`, `(a ++ (b ++ c))`},
		{`a // b // c`, `(a // (b // c))`},
		{`a -> b -> c`, `(a -> (b -> c))`},
		{`!a + b`, `(! (a + b))`},
		{`!a == b`, `((! a) == b)`},
		{`-a ? b`, `(((__sub 0 a)) ? b)`},
		{`a || b && c`, `(a || (b && c))`},
		{`[ f or ]`, `[ ((f or)) ]`},
		{`x.a.${"b"}.${x}.c or 3`, `(x).a.b."${x}".c or (3)`},
		{`x.${"a${b}"}`, `(x)."${("a" + b)}"`},
		{`a ? ${b}`, `((a) ? "${b}")`},
		{`{ "a b" = 1; "if" = 2; "" = 4; "${x}" = 5; ${y} = 6; }`,
			`{ "" = 4; "a b" = 1; "if" = 2; "${(x)}" = 5; "${y}" = 6; }`},
		{`{ inherit (x) a b; c = 1; inherit d; }`, `{ a = (x).a; b = (x).b; c = 1; inherit d ; }`},
		{`let inherit (x) a; inherit b; in a`, `(let a = (x).a; inherit b; in a)`},
		{`{ a.b.c = 1; a.d = 2; }`, `{ a = { b = { c = 1; }; d = 2; }; }`},
		{`{ a = { x = 1; }; a.y = 2; }`, `{ a = { x = 1; y = 2; }; }`},
		{`{ a.y = 2; a = rec { x = 1; }; }`, `{ a = { x = 1; y = 2; }; }`},
		{`let { body = 1; }`, `(rec { body = 1; }).body`},
		{`{}: 1`, `({  }: 1)`},
		{`{...}: 1`, `({ ... }: 1)`},
		{`a@{b, ...}: 1`, `({ b, ... } @ a: 1)`},
		{`{b ? 1}@a: 1`, `({ b ? 1 } @ a: 1)`},
		{`x: y: x`, `(x: (y: x))`},
		{`assert a; b`, `assert a; b`},
		{`with a; b`, `(with a; b)`},
		{`if a then b else c`, `(if a then b else c)`},
		{`f __curPos`, `(f __curPos)`},
		{`[]`, `[ ]`},
		{`{}`, `{ }`},
	}
	for _, tt := range tests {
		fset := NewFileSet()
		e, err := Parse(fset, "«string»", []byte(tt.src), Options{NoScopeCheck: true})
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		var b bytes.Buffer
		if err := Print(&b, e, PrintOptions{BaseDir: "/base", HomeDir: "/home", FileSet: fset}); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%s\n got: %s\nwant: %s", tt.src, b.String(), tt.want)
		}
	}
}

// nixParse runs Nix 2.8's nix-instantiate --parse on a file.
func nixParse(ctx context.Context, nixBin, path string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(nixBin, "nix-instantiate"), "--parse", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", &exec.ExitError{Stderr: stderr.Bytes()}
	}
	return strings.TrimSuffix(string(out), "\n"), nil
}

// sameBytes reports whether a and b hold the same bytes in some order.
func sameBytes(a, b string) bool {
	x, y := []byte(a), []byte(b)
	slices.Sort(x)
	slices.Sort(y)
	return bytes.Equal(x, y)
}

// maxOrderOnlyShare bounds the share of files that print with formals or let
// bindings in another order than Nix 2.8's. Nix 2.8 orders them by the
// memory addresses of its symbols (see symbolOrder), which depend on its
// allocator and vary a little from run to run; govix can only model them,
// so the test fails only if the model gets clearly worse (about 10.5% of the
// files differ in order today).
const maxOrderOnlyShare = 0.13

// TestPrintMatchesNix compares Print with Nix 2.8's nix-instantiate --parse
// on every auxcore file and every parse-okay file of the language tests
// that Nix 2.8 parses. Outputs must be identical, except that the order of
// formals and let bindings may differ where the model of Nix's symbol
// order fails, up to maxOrderOnlyShare of the files. One file in four is
// checked unless GOVIX_LONG_TESTS is set, to keep the default run short.
func TestPrintMatchesNix(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nix-instantiate once per file")
	}
	nixBin := testutil.RequireNix(t)
	var files []string
	for _, sub := range []string{"auxcore/src", "nix-lang"} {
		dir, err := filepath.Abs(conformanceDir(t, sub))
		if err != nil {
			t.Fatal(err)
		}
		if sub == "nix-lang" {
			okays, _ := filepath.Glob(filepath.Join(dir, "parse-okay-*.nix"))
			files = append(files, okays...)
			continue
		}
		err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".nix") {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if os.Getenv("GOVIX_LONG_TESTS") == "" {
		var sample []string
		for i, f := range files {
			if i%4 == 0 {
				sample = append(sample, f)
			}
		}
		files = sample
	}
	home := os.Getenv("HOME")

	type result struct {
		path      string
		nix, govx string
		nixErr    error
	}
	results := make([]result, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, path := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := result{path: path}
			r.nix, r.nixErr = nixParse(t.Context(), nixBin, path)
			if r.nixErr == nil {
				src, err := os.ReadFile(path)
				if err != nil {
					r.nixErr = err
				} else {
					fset := NewFileSet()
					e, err := Parse(fset, path, src, Options{})
					if err != nil {
						r.govx = "error: " + err.Error()
					} else {
						var b bytes.Buffer
						_ = Print(&b, e, PrintOptions{BaseDir: filepath.Dir(path), HomeDir: home, FileSet: fset})
						r.govx = b.String()
					}
				}
			}
			results[i] = r
		}()
	}
	wg.Wait()

	identical, orderOnly, skipped := 0, 0, 0
	for _, r := range results {
		switch {
		case r.nixErr != nil:
			// Nix 2.8 predates some syntax of the current language tests.
			if !strings.Contains(r.path, "nix-lang") {
				t.Errorf("%s: nix-instantiate failed: %v", r.path, r.nixErr)
			}
			skipped++
		case r.govx == r.nix:
			identical++
		case sameBytes(r.govx, r.nix):
			orderOnly++
		default:
			i := 0
			for i < len(r.nix) && i < len(r.govx) && r.nix[i] == r.govx[i] {
				i++
			}
			lo := max(0, i-80)
			t.Errorf("%s: output differs at byte %d\n  nix:   …%s…\n  govix: …%s…", r.path, i,
				r.nix[lo:min(len(r.nix), i+80)], r.govx[lo:min(len(r.govx), i+80)])
		}
	}
	t.Logf("%d files: %d identical, %d differ only in the order of formals or let bindings, %d not parsed by Nix 2.8",
		len(results), identical, orderOnly, skipped)
	if float64(orderOnly) > maxOrderOnlyShare*float64(len(results)) {
		t.Errorf("%d of %d files differ in order, more than %.0f%%", orderOnly, len(results), 100*maxOrderOnlyShare)
	}
}
