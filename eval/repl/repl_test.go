package repl

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/internal/testutil"
)

// run feeds input to a new session through a pipe and returns what it
// wrote to stdout and stderr.
func run(t *testing.T, dir, input string) (stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	s := New(Options{
		NewEvaluator: func() *eval.Evaluator { return eval.New(eval.Options{Cwd: dir}) },
		Dir:          dir,
		Stdout:       &out,
		Stderr:       &errw,
	})
	if err := s.Loop(context.Background(), NewPlainReader(strings.NewReader(input), &out)); err != nil {
		t.Fatal(err)
	}
	return out.String(), errw.String()
}

// Sessions without errors, compared byte for byte with Nix 2.8's REPL
// (colors removed) by TestAgainstNix, and with the output recorded here.
var transcripts = []struct {
	name, input, want string
}{
	{"arith", "1 + 2\n", "nix-repl> 1 + 2\n3\n\nnix-repl> "},
	{"bindings", "x = 1\ny = x + 1\nx = 10\ny\nx\n",
		"nix-repl> x = 1\n\nnix-repl> y = x + 1\n\nnix-repl> x = 10\n\nnix-repl> y\n2\n\nnix-repl> x\n10\n\nnix-repl> "},
	{"depth", "{ a = 1; b = { c = [ 1 2 ]; }; d = [ 1 { } ]; }\n",
		"nix-repl> { a = 1; b = { c = [ 1 2 ]; }; d = [ 1 { } ]; }\n{ a = 1; b = { ... }; d = [ ... ]; }\n\nnix-repl> "},
	{"strict", ":p { a = 1; b = { c = [ 1 2 ]; }; }\n",
		"nix-repl> :p { a = 1; b = { c = [ 1 2 ]; }; }\n{ a = 1; b = { c = [ 1 2 ]; }; }\n\nnix-repl> "},
	{"scalars", "[ null true 1.5 \"a\\\"b\\n\" ./foo 1.0e6 ]\n",
		"nix-repl> [ null true 1.5 \"a\\\"b\\n\" ./foo 1.0e6 ]\n[ null true 1.5 \"a\\\"b\\n\" DIR/foo 1e+06 ]\n\nnix-repl> "},
	{"repeated", "let x = { a = 1; }; in [ x x ]\n:p let x = { a = 1; }; in { y = x; z = x; }\n",
		"nix-repl> let x = { a = 1; }; in [ x x ]\n[ { ... } «repeated» ]\n\n" +
			"nix-repl> :p let x = { a = 1; }; in { y = x; z = x; }\n{ y = { a = 1; }; z = «repeated»; }\n\nnix-repl> "},
	{"errors-inside", "{ a = throw \"no\"; b = 2; }\n",
		"nix-repl> { a = throw \"no\"; b = 2; }\n{ a = «error: no»; b = 2; }\n\nnix-repl> "},
	{"multiline", "{ a = 1;\n  b = 2; }\nx =\n  3\nx\n",
		"nix-repl> { a = 1;\n            b = 2; }\n{ a = 1; b = 2; }\n\n" +
			"nix-repl> x =\n            3\n\nnix-repl> x\n3\n\nnix-repl> "},
	{"type", ":t 1\n:t { }\n:t \"s\"\n:t 1.0\n:t x: x\n:t builtins.map\n:t builtins.map (x: x)\n:t null\n:t ./.\n:t [ ]\n:t true\n",
		"nix-repl> :t 1\nan integer\n\nnix-repl> :t { }\na set\n\nnix-repl> :t \"s\"\na string\n\nnix-repl> :t 1.0\na float\n\n" +
			"nix-repl> :t x: x\na function\n\nnix-repl> :t builtins.map\nthe built-in function 'map'\n\n" +
			"nix-repl> :t builtins.map (x: x)\nthe partially applied built-in function 'map'\n\nnix-repl> :t null\nnull\n\n" +
			"nix-repl> :t ./.\na path\n\nnix-repl> :t [ ]\na list\n\nnix-repl> :t true\na Boolean\n\nnix-repl> "},
	{"add", ":a { z = 5; w = 6; }\nz\n", "nix-repl> :a { z = 5; w = 6; }\n\nnix-repl> z\n5\n\nnix-repl> "},
	{"shadow", "map = 1\nmap + 1\n", "nix-repl> map = 1\n\nnix-repl> map + 1\n2\n\nnix-repl> "},
	{"blank", "\n  \n1\n", "nix-repl> \n\nnix-repl>   \n\nnix-repl> 1\n1\n\nnix-repl> "},
	{"quit", ":q\n1\n", "nix-repl> :q\n"},
	{"quoted-names", "{ \"a b\" = 1; \"if\" = 2; x-y' = 3; }\n", "nix-repl> { \"a b\" = 1; \"if\" = 2; x-y' = 3; }\n{ \"a b\" = 1; if = 2; x-y' = 3; }\n\nnix-repl> "},
	{"primops", "[ builtins.map (builtins.map (x: x)) ]\n", "nix-repl> [ builtins.map (builtins.map (x: x)) ]\n[ «primop» «primop-app» ]\n\nnix-repl> "},
}

func TestTranscripts(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range transcripts {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut := run(t, dir, tc.input)
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if out != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
			}
			if tc.name != "add" && errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestAgainstNix runs the transcripts through Nix 2.8's REPL: the same
// input must print the same.
func TestAgainstNix(t *testing.T) {
	nix := testutil.RequireNix(t)
	dir := t.TempDir()
	for _, tc := range transcripts {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(nix, "nix"), "--experimental-features", "nix-command", "repl")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+t.TempDir(), "HOME="+t.TempDir())
			cmd.Stdin = strings.NewReader(tc.input)
			var out bytes.Buffer
			cmd.Stdout = &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("nix repl: %v", err)
			}
			got, _ := run(t, dir, tc.input)
			want := ansi.ReplaceAllString(out.String(), "")
			// Nix 2.8 prints a whole error message inside «error: ...».
			want = strings.ReplaceAll(want, "«error: error: ", "«error: ")
			if got != want {
				t.Errorf("govix:\n%s\nnix:\n%s", got, want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	out, errOut := run(t, dir, "foo\n1 + \"a\"\n:x\n{ a = 1; b = 1 + \"x\"; }\n2\n")
	wantOut := "nix-repl> foo\n\nnix-repl> 1 + \"a\"\n\nnix-repl> :x\n\n" +
		"nix-repl> { a = 1; b = 1 + \"x\"; }\n{ a = 1; b = \nnix-repl> 2\n2\n\nnix-repl> "
	if out != wantOut {
		t.Errorf("stdout:\n%q\nwant:\n%q", out, wantOut)
	}
	for _, want := range []string{
		"error: undefined variable 'foo'\n       at «string»:1:1:\n            1| foo\n             | ^\n",
		"error: unknown command ':x'\n",
		"cannot add a string to an integer",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestLoadReload(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "t.nix")
	if err := os.WriteFile(f, []byte("{ n ? 1 }: { a = n; b = { c = 2; }; }"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errw bytes.Buffer
	s := New(Options{Dir: dir, Stdout: &out, Stderr: &errw, AutoArgs: []AutoArg{{Name: "n", Expr: "40 + 2"}}})
	ctx := context.Background()
	s.Process(ctx, ":l ./t.nix")
	s.Process(ctx, ":a { z = a; }")
	s.Process(ctx, "z")
	if got := out.String(); got != "42\n" {
		t.Errorf("z = %q", got)
	}
	if got, want := errw.String(), "Added 2 variables.\nAdded 1 variables.\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	// :r forgets variables and reads the file again.
	if err := os.WriteFile(f, []byte("{ a = 7; }"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errw.Reset()
	s.Process(ctx, ":r")
	s.Process(ctx, "a")
	s.Process(ctx, "z")
	if got := out.String(); got != "7\n" {
		t.Errorf("after :r, a = %q", got)
	}
	if !strings.HasPrefix(errw.String(), "Loading './t.nix'...\nAdded 1 variables.\nerror: undefined variable 'z'") {
		t.Errorf("stderr after :r: %q", errw.String())
	}
	if got := s.Vars(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("vars after :r: %v", got)
	}
}

func TestComplete(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "foo.nix"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "food.nix"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), nil, 0o644)
	s := New(Options{Dir: dir})
	ctx := context.Background()
	s.Process(ctx, "pkgs = { lib = 1; libc = 2; hello = 3; sub.deep = 4; }")
	s.Process(ctx, "mything = 1")
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"pkgs.li", []string{"pkgs.lib", "pkgs.libc"}},
		{"pkgs.", []string{"pkgs.hello", "pkgs.lib", "pkgs.libc", "pkgs.sub"}},
		{"pkgs.sub.d", []string{"pkgs.sub.deep"}},
		{"1 + pkgs.h", []string{"1 + pkgs.hello"}},
		{"(myth", []string{"(mything"}},
		{"builtins.attrN", []string{"builtins.attrNames"}},
		{"mapAt", nil}, // only builtins.mapAttrs and __mapAttrs
		{"nothere.x", nil},
		{"./fo", []string{"./foo.nix", "./food.nix"}},
		{"./.h", nil},
		{"tru", []string{"true"}},
	} {
		got := s.Complete(ctx, tc.prefix)
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("Complete(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}
