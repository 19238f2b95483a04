package syntax

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes the parser or the printer panic or
// hang, and that errors carry a position. The seeds are the language tests
// and a sample of the auxcore files (read from the shared conformance data
// when it is there) and the inputs under testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, pat := range []string{
		"../../../shared/conformance/nix-lang/*.nix",
		"../../../shared/conformance/auxcore/src/lib/*.nix",
		"../../../shared/conformance/auxcore/src/pkgs/stdenv/*/*.nix",
	} {
		files, _ := filepath.Glob(pat)
		for _, path := range files {
			if src, err := os.ReadFile(path); err == nil && len(src) < 16<<10 {
				f.Add(src)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, opts := range []Options{{}, {PipeOperators: true, NoScopeCheck: true}} {
			fset := NewFileSet()
			e, err := Parse(fset, "f", src, opts)
			if err != nil {
				perr, ok := err.(*Error)
				if !ok {
					t.Fatalf("error of type %T: %v", err, err)
				}
				if !perr.Pos.IsValid() || perr.Pos.Offset > len(src) {
					t.Fatalf("bad position %+v for %q", perr.Pos, perr.Msg)
				}
				if strings.HasPrefix(perr.Msg, "syntax error") && !strings.HasPrefix(perr.Msg, "syntax error, unexpected ") {
					t.Fatalf("bad message %q", perr.Msg)
				}
				continue
			}
			var b bytes.Buffer
			if err := Print(&b, e, PrintOptions{BaseDir: "/b", HomeDir: "/h", FileSet: fset}); err != nil {
				t.Fatal(err)
			}
			if b.Len() == 0 {
				t.Fatal("empty output")
			}
		}
	})
}

// TestHostileInputs parses large inputs built to make a careless lexer or
// parser quadratic or deeply recursive; each must finish quickly (a
// quadratic one would take minutes) with a result or an error.
func TestHostileInputs(t *testing.T) {
	const n = 1 << 20
	for _, unit := range []string{
		"a.", "a+", "a:", "1.", "/*", "<a", "<a/", "~/a", "a/", "${", "{", "(", "[", "\"${",
		"''${", "x: ", "a@", "let ", "if ", "!", "-", "a ? ", "a // ", "a.b or ", "rec {", "\"", "''",
		"\\", "#", "\r", "or ", "inherit ", "...", "a ++ ", "./${", "1 |> ",
	} {
		src := []byte(strings.Repeat(unit, n/len(unit)))
		for _, opts := range []Options{{}, {PipeOperators: true, NoScopeCheck: true}} {
			fset := NewFileSet()
			if e, err := Parse(fset, "f", src, opts); err == nil {
				var b bytes.Buffer
				_ = Print(&b, e, PrintOptions{FileSet: fset})
			}
		}
	}
}
