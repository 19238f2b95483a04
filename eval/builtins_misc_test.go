package eval

import (
	"os"
	"strings"
	"testing"
)

var miscCases = []nixCase{
	// tryEval catches throw and assert, nothing else.
	{expr: `builtins.tryEval (throw "x")`, want: `{ success = false; value = false; }`},
	{expr: `builtins.tryEval (assert 1 == 2; 3)`, want: `{ success = false; value = false; }`},
	{expr: `(builtins.tryEval [ (throw "lazy") ]).success`, want: `true`},
	{expr: `(builtins.tryEval { a = throw "x"; }).success`, want: `true`},
	{expr: `builtins.tryEval (abort "x")`, err: `evaluation aborted with the following error message: 'x'`},
	{expr: `builtins.tryEval ({ }.a)`, err: `attribute 'a' missing`},
	{expr: `let x = builtins.tryEval (throw "a"); y = builtins.tryEval (builtins.seq x.success (throw "b")); in [ x.success y.success ]`, want: `[ false false ]`},
	// seq and deepSeq.
	{expr: `builtins.seq { a = throw "x"; } 1`, want: `1`},
	{expr: `builtins.deepSeq { a = throw "x"; } 1`, err: `x`},
	{expr: `builtins.deepSeq [ 1 [ 2 (throw "deep") ] ] 1`, err: `deep`},
	{expr: `builtins.seq (throw "x") 1`, err: `x`},
	// Types.
	{expr: `map builtins.typeOf [ 1 1.5 "s" null true { } [ ] (x: x) builtins.add (builtins.add 1) ]`,
		want: `[ "int" "float" "string" "null" "bool" "set" "list" "lambda" "lambda" "lambda" ]`},
	{expr: `[ (builtins.isAttrs { }) (builtins.isList [ ]) (builtins.isFunction builtins.map) (builtins.isFloat 1) (builtins.isInt 1) (builtins.isBool null) (builtins.isPath ./.) (builtins.isString "") (isNull null) ]`,
		want: `[ true true true false true false true true true ]`},
	// Constants.
	{expr: `builtins.langVersion`, want: `6`},
	{expr: `builtins.nixVersion`, want: `"2.8.0"`},
	{expr: `builtins.storeDir`, want: `"/nix/store"`},
	{expr: `builtins.isInt builtins.currentTime`, want: `true`},
	{expr: `builtins.currentSystem`, want: `"x86_64-linux"`},
	{expr: `builtins.getEnv "GOVIX_TEST_VAR"`, want: `"value with spaces"`},
	{expr: `builtins.getEnv "GOVIX_TEST_UNSET"`, want: `""`},
	{expr: `builtins.getEnv [ ]`, err: `expected a string but found a list: [ ]`},
	{expr: `builtins.traceVerbose "not shown" 3`, want: `3`, newer: true},
	{expr: `builtins.warn 1 2`, err: `expected a string but found an integer: 1`, newer: true},
	{expr: `builtins.nixPath`, want: `[ ]`},
	{expr: `builtins.findFile [ { prefix = "x"; path = "/nonexistent"; } ] "x/y"`, err: `file 'x/y' was not found in the Nix search path (add it using $NIX_PATH or -I)`},
}

func TestMiscBuiltins(t *testing.T) {
	t.Setenv("GOVIX_TEST_VAR", "value with spaces")
	os.Unsetenv("NIX_PATH")
	runNixCases(t, t.TempDir(), miscCases, Options{})
}

func TestMiscBuiltinsMatchNix(t *testing.T) {
	t.Setenv("GOVIX_TEST_VAR", "value with spaces")
	checkNixCases(t, t.TempDir(), miscCases)
}

// TestTraceMatchesNix compares what trace prints on standard error.
func TestTraceMatchesNix(t *testing.T) {
	for _, expr := range []string{
		`builtins.trace "a string\nwith lines" 1`,
		`builtins.trace 42 1`,
		`builtins.trace [ 1 "x" { a = [ null true 1.5 ]; } ] 1`,
		`let x = { y = 1; }; in builtins.trace [ x x ] 1`,
		`builtins.trace (x: x) 1`,
		`builtins.trace { a = builtins.trace "inner" 2; } 1`,
		`builtins.trace { "a b" = 1; "if" = "\${x}"; c = "x\ny"; d = { type = "derivation"; }; } 1`,
		`builtins.trace [ builtins.map (builtins.add 1) null ] 1`,
	} {
		var stderr strings.Builder
		ev := New(Options{Stderr: &stderr})
		got, err := evalIn(ev, "/tmp", expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		govix := stderr.String() + got + "\n"
		if nix := runNix(t, expr); govix != nix {
			t.Errorf("%s:\ngovix:\n%s\nNix 2.8:\n%s", expr, govix, nix)
		}
	}
}

// TestWarnFormat: current Nix's layout of multi-line warnings (Nix 2.8
// has no builtins.warn; the corpus shows it).
func TestWarnFormat(t *testing.T) {
	for msg, want := range map[string]string{
		"foo":             "evaluation warning: foo\n",
		"foo\nbar":        "evaluation warning: foo\n                    bar\n",
		"\nfoo\nbar":      "evaluation warning:\nfoo\nbar\n",
		"trailing   \n\n": "evaluation warning: trailing\n",
	} {
		if got := formatWarning(msg); got != want {
			t.Errorf("%q: got %q, want %q", msg, got, want)
		}
	}
}
