package syntax

import (
	"errors"
	"os"
	"path/filepath"
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
