package syntax

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// conformanceDir is the shared conformance data (see
// ../shared/conformance/README.md), outside the repository.
func conformanceDir(t testing.TB, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "conformance", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance data not available: %v", err)
	}
	return dir
}

func parseFile(t testing.TB, path, name string) (Expr, error) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(NewFileSet(), name, src, Options{})
}

// TestNixLangParse runs the parse-okay and parse-fail cases of Nix's
// language tests: every parse-okay file parses, and every parse-fail file
// fails with the message Nix gives (the first line of its .err.exp) at the
// position it names.
func TestNixLangParse(t *testing.T) {
	dir := conformanceDir(t, "nix-lang")
	okays, _ := filepath.Glob(filepath.Join(dir, "parse-okay-*.nix"))
	fails, _ := filepath.Glob(filepath.Join(dir, "parse-fail-*.nix"))
	if len(okays) == 0 || len(fails) == 0 {
		t.Fatal("no parse tests found")
	}
	for _, path := range okays {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if _, err := parseFile(t, path, "«stdin»"); err != nil {
				t.Error(err)
			}
		})
	}
	for _, path := range fails {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := parseFile(t, path, "«stdin»")
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("got %v, want an *Error", err)
			}
			exp, rerr := os.ReadFile(strings.TrimSuffix(path, ".nix") + ".err.exp")
			if rerr != nil {
				t.Fatal(rerr)
			}
			wantMsg, wantPos := nixErrorMessage(string(exp))
			if perr.Msg != wantMsg {
				t.Errorf("message\n got: %s\nwant: %s", perr.Msg, wantMsg)
			}
			if got := perr.Pos.String(); got != wantPos {
				t.Errorf("position: got %s, want %s", got, wantPos)
			}
		})
	}
}

// nixErrorMessage extracts the message and position from Nix's error
// output: "error: MSG" on the first line, "at POS:" on a later one.
func nixErrorMessage(out string) (msg, pos string) {
	lines := strings.Split(out, "\n")
	msg = strings.TrimPrefix(lines[0], "error: ")
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, "at "); ok {
			pos = strings.TrimSuffix(rest, ":")
			break
		}
	}
	return msg, pos
}

// evalFailsAtParse are the eval-fail tests of the language corpus that Nix
// rejects while parsing; the others must parse.
var evalFailsAtParse = []string{
	"eval-fail-attrset-merge-drops-later-rec",
	"eval-fail-dynamic-attrs-inherit",
	"eval-fail-dynamic-attrs-inherit-2",
	"eval-fail-dynamic-attrs-let",
	"eval-fail-dynamic-attrs-let-2",
	"eval-fail-dynamic-attrs-let-3",
	"eval-fail-eol-1",
	"eval-fail-eol-2",
	"eval-fail-eol-3",
	"eval-fail-path-slash",
	"eval-fail-pipe-operators",
	"eval-fail-set",
	"eval-fail-string-nul-1",
	"eval-fail-string-nul-2",
}

// TestNixLangEvalFilesParse parses the eval-* files of the language tests
// (with their flags' parser settings): all parse except the eval-fail cases
// that Nix rejects while parsing, which fail with Nix's message at Nix's
// position.
func TestNixLangEvalFilesParse(t *testing.T) {
	dir := conformanceDir(t, "nix-lang")
	files, _ := filepath.Glob(filepath.Join(dir, "eval-*.nix"))
	if len(files) == 0 {
		t.Fatal("no eval tests found")
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".nix")
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{}
		if flags, err := os.ReadFile(filepath.Join(dir, name+".flags")); err == nil {
			f := string(flags)
			opts.PipeOperators = strings.Contains(f, "pipe-operators")
			for setting, lint := range map[string]*Lint{
				"--lint-url-literals":           &opts.LintURLLiterals,
				"--lint-absolute-path-literals": &opts.LintAbsolutePathLiterals,
				"--lint-short-path-literals":    &opts.LintShortPathLiterals,
			} {
				if strings.Contains(f, setting+" fatal") {
					*lint = LintFatal
				}
			}
		}
		// Nix's tests name the file by its path under /pwd/lang.
		_, err = Parse(NewFileSet(), "/pwd/lang/"+name+".nix", src, opts)
		failsAtParse := slices.Contains(evalFailsAtParse, name)
		lintFatal := strings.HasPrefix(name, "eval-fail-") && (opts.LintURLLiterals|opts.LintAbsolutePathLiterals|opts.LintShortPathLiterals) == LintFatal
		switch {
		case err == nil && (failsAtParse || lintFatal):
			t.Errorf("%s: parsed, want an error", name)
		case err != nil && !failsAtParse && !lintFatal:
			t.Errorf("%s: %v", name, err)
		case err != nil:
			exp, rerr := os.ReadFile(filepath.Join(dir, name+".err.exp"))
			if rerr != nil {
				t.Fatal(rerr)
			}
			perr := err.(*Error)
			wantMsg, wantPos := nixErrorMessage(string(exp))
			if first, _, _ := strings.Cut(perr.Msg, "\n"); first != wantMsg {
				t.Errorf("%s: message\n got: %s\nwant: %s", name, first, wantMsg)
			}
			if got := perr.Pos.String(); got != wantPos {
				t.Errorf("%s: position: got %s, want %s", name, got, wantPos)
			}
		}
	}
}

// TestParseAuxcore parses every file of the auxcore package set.
func TestParseAuxcore(t *testing.T) {
	dir := conformanceDir(t, "auxcore/src")
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".nix") {
			return err
		}
		n++
		if _, err := parseFile(t, path, path); err != nil {
			t.Error(err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 1500 {
		t.Errorf("parsed only %d files", n)
	}
}

// TestSyntaxErrors checks the message and position of syntax errors
// against testdata/syntax-errors.txt.
func TestSyntaxErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/syntax-errors.txt")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	for i := 0; i+1 < len(lines); i += 2 {
		src, err := strconv.Unquote(lines[i])
		if err != nil {
			t.Fatalf("line %q: %v", lines[i], err)
		}
		_, perr := Parse(NewFileSet(), "f", []byte(src), Options{PipeOperators: true, NoScopeCheck: true})
		got := "parsed"
		if e, ok := perr.(*Error); ok {
			got = fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
		}
		if got != lines[i+1] {
			t.Errorf("%q\n got: %s\nwant: %s", src, got, lines[i+1])
		}
	}
}
