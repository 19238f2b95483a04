package eval

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// A string with context, for the tests: what interpolating a store path
// gives ("${/nix/store/...}" in a file under the store has that context).
const (
	ctxPath = `/nix/store/ffffffffffffffffffffffffffffffff-x`
	ctxDrv  = `/nix/store/dddddddddddddddddddddddddddddddd-d.drv`
	// withCtx is ctxPath as a string with itself as context.
	withCtx = `(builtins.appendContext "` + ctxPath + `" { "` + ctxPath + `" = { path = true; }; })`
	// drvOut is a string with an output of ctxDrv as its context.
	drvOut = `(builtins.appendContext "out" { "` + ctxDrv + `" = { outputs = [ "out" ]; }; })`
)

var stringCases = []nixCase{
	// concatStringsSep
	{expr: `builtins.concatStringsSep ", " [ "a" "b" "c" ]`, want: `"a, b, c"`},
	{expr: `builtins.concatStringsSep "" [ ]`, want: `""`},
	{expr: `builtins.concatStringsSep "-" [ "x" ]`, want: `"x"`},
	{expr: `builtins.concatStringsSep "/" [ "" "" ]`, want: `"/"`},
	{expr: `builtins.concatStringsSep "/" [ { outPath = "o"; } { __toString = _: "t"; } ]`, want: `"o/t"`},
	{expr: `builtins.concatStringsSep "-" (builtins.genList toString 5)`, want: `"0-1-2-3-4"`},
	{expr: `builtins.getContext (builtins.concatStringsSep ` + withCtx + ` [ ])`, want: `{ "` + ctxPath + `" = { path = true; }; }`, newer: true},
	{expr: `builtins.hasContext (builtins.concatStringsSep "-" [ "a" ` + withCtx + ` ])`, want: `true`, newer: true},
	{expr: `builtins.concatStringsSep 1 { }`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.concatStringsSep "foo" { }`, err: `expected a list but found a set: { }`},
	{expr: `builtins.concatStringsSep "foo" [ 1 2 { } ]`, err: `cannot coerce an integer to a string: 1`},
	{expr: `builtins.concatStringsSep "foo" [ "a" null ]`, err: `cannot coerce null to a string: null`},

	// replaceStrings
	{expr: `builtins.replaceStrings [ "o" ] [ "a" ] "foobar"`, want: `"faabar"`},
	{expr: `builtins.replaceStrings [ "oo" "a" ] [ "a" "oo" ] "foobar"`, want: `"faboor"`},
	{expr: `builtins.replaceStrings [ "oo" "oo" ] [ "u" "i" ] "foobar"`, want: `"fubar"`},
	{expr: `builtins.replaceStrings [ "" ] [ "X" ] "abc"`, want: `"XaXbXcX"`},
	{expr: `builtins.replaceStrings [ "" ] [ "X" ] ""`, want: `"X"`},
	{expr: `builtins.replaceStrings [ "b" "" ] [ "B" "-" ] "abc"`, want: `"-aB-c-"`},
	{expr: `builtins.replaceStrings [ "" "b" ] [ "-" "B" ] "abc"`, want: `"-a-b-c-"`},
	{expr: `builtins.replaceStrings [ "a" "ab" ] [ "1" "2" ] "abab"`, want: `"1b1b"`},
	{expr: `builtins.replaceStrings [ "ab" "a" ] [ "2" "1" ] "abaa"`, want: `"211"`},
	{expr: `builtins.replaceStrings [ "aa" ] [ "b" ] "aaa"`, want: `"ba"`},
	{expr: `builtins.replaceStrings [ ] [ ] "abc"`, want: `"abc"`},
	{expr: `builtins.replaceStrings [ "x" ] [ "y" ] ""`, want: `""`},
	{expr: `builtins.replaceStrings [ "é" ] [ "e" ] "café é"`, want: `"cafe e"`},
	{expr: `builtins.replaceStrings [ "\n" "\t" ] [ "\\n" "\\t" ] "a\nb\tc"`, want: `"a\\nb\\tc"`},
	{expr: `builtins.replaceStrings [ "oo" "XX" ] [ "u" (throw "unreachable") ] "foobar"`, want: `"fubar"`, newer: true},
	{expr: `builtins.hasContext (builtins.replaceStrings [ "a" ] [ ` + withCtx + ` ] "b")`, want: `false`},
	{expr: `builtins.hasContext (builtins.replaceStrings [ "b" ] [ ` + withCtx + ` ] "b")`, want: `true`},
	{expr: `builtins.hasContext (builtins.replaceStrings [ ` + withCtx + ` ] [ "x" ] "b")`, want: `false`},
	{expr: `builtins.getContext (builtins.replaceStrings [ "x" ] [ "y" ] ` + withCtx + `)`, want: `{ "` + ctxPath + `" = { path = true; }; }`},
	{expr: `builtins.replaceStrings 0 0 { }`, err: `expected a list but found an integer: 0`},
	{expr: `builtins.replaceStrings [ ] 0 { }`, err: `expected a list but found an integer: 0`},
	{expr: `builtins.replaceStrings [ 0 ] [ ] { }`, err: `'from' and 'to' arguments passed to builtins.replaceStrings have different lengths`},
	{expr: `builtins.replaceStrings [ 1 ] [ "new" ] { }`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.replaceStrings [ "oo" ] [ true ] "foo"`, err: `expected a string but found a Boolean: true`},
	{expr: `builtins.replaceStrings [ "old" ] [ "new" ] { }`, err: `expected a string but found a set: { }`},

	// substring
	{expr: `builtins.substring 1 2 "foobar"`, want: `"oo"`},
	{expr: `builtins.substring 3 100 "foobar"`, want: `"bar"`},
	{expr: `builtins.substring 6 1 "foobar"`, want: `""`},
	{expr: `builtins.substring 100 1 "foobar"`, want: `""`},
	{expr: `builtins.substring 3 (-1) "foobar"`, want: `"bar"`},
	{expr: `builtins.substring 1 (-100) "foobar"`, want: `"oobar"`},
	{expr: `builtins.substring 0 0 "foobar"`, want: `""`},
	{expr: `builtins.substring 0 9223372036854775807 "foobar"`, want: `"foobar"`},
	{expr: `builtins.substring 4294967296 1 "foobar"`, want: `""`, newer: true},
	{expr: `builtins.substring 1 2 "é"`, want: "\"\xa9\""},
	{expr: `builtins.substring 0 3 { outPath = "abcd"; }`, want: `"abc"`},
	{expr: `builtins.getContext (builtins.substring 0 0 ` + withCtx + `)`, want: `{ "` + ctxPath + `" = { path = true; }; }`},
	{expr: `builtins.getContext (builtins.substring 100 1 ` + withCtx + `)`, want: `{ "` + ctxPath + `" = { path = true; }; }`},
	{expr: `builtins.substring (-3) 3 "sometext"`, err: `negative start position in 'substring'`},
	{expr: `builtins.substring (-1) (throw "len") "x"`, err: `negative start position in 'substring'`, newer: true},
	{expr: `builtins.substring { } "foo" true`, err: `expected an integer but found a set: { }`},
	{expr: `builtins.substring 3 "foo" true`, err: `expected an integer but found a string: "foo"`},
	{expr: `builtins.substring 0 3 { }`, err: `cannot coerce a set to a string: { }`},
	{expr: `builtins.substring 0 3 1`, err: `cannot coerce an integer to a string: 1`},

	// stringLength
	{expr: `builtins.stringLength "foo"`, want: `3`},
	{expr: `builtins.stringLength ""`, want: `0`},
	{expr: `builtins.stringLength "é"`, want: `2`},
	{expr: `builtins.stringLength { outPath = "abcd"; }`, want: `4`},
	{expr: `builtins.stringLength { }`, err: `cannot coerce a set to a string: { }`},
	{expr: `builtins.stringLength 1`, err: `cannot coerce an integer to a string: 1`},

	// baseNameOf and dirOf
	{expr: `map baseNameOf [ "" "." ".." "a" "a/" "a/." "a/b" "a//b" "a//" "/" "//" "/a/b/" "a\\b" ]`,
		want: `[ "" "." ".." "a" "a" "." "b" "b" "" "" "" "b" "a\\b" ]`},
	{expr: `[ (baseNameOf ./foo) (baseNameOf /.) (baseNameOf /a/b) ]`, want: `[ "foo" "" "b" ]`},
	{expr: `builtins.getContext (baseNameOf ` + withCtx + `)`, want: `{ "` + ctxPath + `" = { path = true; }; }`},
	{expr: `baseNameOf [ ]`, err: `cannot coerce a list to a string: [ ]`},
	{expr: `baseNameOf 1`, err: `cannot coerce an integer to a string: 1`},
	{expr: `map dirOf [ "" "f" "a/b" "a///b" "/" "//" "///" "/a" "a/b/c/./d" "a/b/c/../d" "a/" ]`,
		want: `[ "." "." "a" "a//" "/" "/" "//" "/" "a/b/c/." "a/b/c/.." "a" ]`},
	{expr: `[ (dirOf /.) (dirOf /a) (dirOf /a/b/c) ]`, want: `[ / / /a/b ]`},
	{expr: `builtins.typeOf (dirOf ./x)`, want: `"path"`},
	{expr: `dirOf { outPath = "/a/b"; }`, want: `"/a"`},
	{expr: `builtins.getContext (dirOf ` + withCtx + `)`, want: `{ "` + ctxPath + `" = { path = true; }; }`},
	{expr: `dirOf 1`, err: `cannot coerce an integer to a string: 1`},

	// toString
	{expr: `toString [ 1 [ ] [ 2 ] null true false "x" 1.5 ]`, want: `"1 2  1  x 1.500000"`},
	{expr: `toString /a/b`, want: `"/a/b"`},
	{expr: `toString { __toString = self: "x"; }`, want: `"x"`},
	{expr: `builtins.getContext (toString [ ` + withCtx + ` "a" ])`, want: `{ "` + ctxPath + `" = { path = true; }; }`},
	{expr: `toString { }`, err: `cannot coerce a set to a string: { }`},
	{expr: `toString (x: x)`, err: `cannot coerce a function to a string: «lambda @ «string»:1:11»`},
}

func TestStringBuiltins(t *testing.T) {
	runNixCases(t, "/dir", stringCases, Options{IO: &MemIO{}})
}

func TestStringBuiltinsMatchNix(t *testing.T) {
	checkNixCasesConcurrently(t, "/dir", stringCases)
}

// checkNixCasesConcurrently is checkNixCases for long tables: the cases
// that succeed are evaluated by Nix together, as the attributes of one set
// (c00000_ = case 0, ...) whose printed form is split up again; the cases
// that fail, which Nix cannot catch, one by one, a few at a time.
// Expressions are evaluated in a directory named dir under a temporary
// one, whose name is replaced by dir in the output.
func checkNixCasesConcurrently(t *testing.T, dir string, cases []nixCase) {
	t.Helper()
	testutil.RequireNix(t)
	work := filepath.Join(t.TempDir(), dir)
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	nix := func(expr string) (string, error) {
		// Relative paths in -E are relative to the working directory.
		cmd := exec.Command("nix-instantiate", "--eval", "--strict", "-E", expr)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "NIX_PATH=")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("%v: %s", err, stderr.String())
		}
		return strings.ReplaceAll(strings.TrimSuffix(string(out), "\n"), work, dir), nil
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var ok []nixCase
	for _, c := range cases {
		switch {
		case c.newer:
		case c.err == "":
			ok = append(ok, c)
		default:
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if out, err := nix(c.expr); err == nil {
					t.Errorf("%s: Nix 2.8 prints %s, the test wants error %q", c.expr, out, c.err)
				}
			}()
		}
	}
	var src strings.Builder
	src.WriteString("{ ")
	for i, c := range ok {
		fmt.Fprintf(&src, "c%05d_ = (%s); ", i, c.expr)
	}
	src.WriteString("}")
	out, err := nix(src.String())
	wg.Wait()
	if err != nil {
		t.Fatalf("Nix 2.8 fails on the cases: %v", err)
	}
	rest := strings.TrimPrefix(out, "{ ")
	for i, c := range ok {
		rest = strings.TrimPrefix(rest, fmt.Sprintf("c%05d_ = ", i))
		end := strings.Index(rest, fmt.Sprintf("; c%05d_ = ", i+1))
		if i == len(ok)-1 {
			end = strings.LastIndex(rest, "; }")
		}
		if end < 0 {
			t.Fatalf("cannot split Nix's output at case %d: %s", i, rest)
		}
		if got := rest[:end]; got != c.want {
			t.Errorf("%s:\nNix 2.8 prints %s\n the test wants %s", c.expr, got, c.want)
		}
		rest = rest[end+2:]
	}
}

// benchText is about 1 MB of text.
var benchText = strings.Repeat("abc,defghij klmnopq-rstu.vwxyz ", 1<<15)

func BenchmarkReplaceStrings(b *testing.B) {
	ev := New(Options{IO: &MemIO{}})
	from := NewList([]Value{Str(","), Str("def"), Str("z ")})
	to := NewList([]Value{Str("<comma>"), Str(""), Str("Z\n")})
	s := Str(benchText)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		builtinReplaceStrings(Call{Ev: ev, Args: []Value{from, to, s}})
	}
}

func BenchmarkReplaceStringsOne(b *testing.B) {
	ev := New(Options{IO: &MemIO{}})
	from := NewList([]Value{Str("klm")})
	to := NewList([]Value{Str("KLM")})
	s := Str(benchText)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		builtinReplaceStrings(Call{Ev: ev, Args: []Value{from, to, s}})
	}
}

func BenchmarkConcatStringsSep100k(b *testing.B) {
	ev := New(Options{IO: &MemIO{}})
	elems := make([]Value, 100000)
	for i := range elems {
		elems[i] = Str(fmt.Sprintf("element-%d", i))
	}
	l := NewList(elems)
	for b.Loop() {
		builtinConcatStringsSep(Call{Ev: ev, Args: []Value{Str(", "), l}})
	}
}

// corpusDir is CppNix's language test corpus (../shared/conformance).
const corpusDir = "../../shared/conformance/nix-lang"

// TestCorpusErrorMessages compares the whole error output (message, trace
// and positions) of the corpus's failing cases for these builtins with
// the corpus's NAME.err.exp, which records current Nix's; the runner and
// the conformance test only check that the cases fail.
func TestCorpusErrorMessages(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(corpusDir, "eval-fail-*.nix"))
	if err != nil || len(names) == 0 {
		t.Skipf("corpus not available: %v", err)
	}
	prefixes := []string{"replaceStrings", "substring", "split", "match", "hashString", "concatStringsSep",
		"compareVersions", "splitVersion", "parseDrvName", "stringLength", "baseNameOf", "addDrvOutputDependencies-empty"}
	// Nix prints a usage hint after this one, outside the error.
	hint := map[string]string{"eval-fail-hashString-2": "Try 'nix-instantiate --help' for more information.\n"}
	n := 0
	for _, f := range names {
		name := strings.TrimSuffix(filepath.Base(f), ".nix")
		mine := false
		for _, p := range prefixes {
			if strings.HasPrefix(name, "eval-fail-"+p) {
				mine = true
			}
		}
		if !mine {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(f, ".nix") + ".err.exp")
		if err != nil {
			t.Fatal(err)
		}
		path := "/pwd/lang/" + name + ".nix"
		ev := New(Options{IO: &MemIO{Files: map[string]string{path: string(src)}}})
		v, err := ev.EvalFile(t.Context(), path)
		if err == nil {
			err = ev.WriteValue(t.Context(), io.Discard, v, true)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: got %v, want an error", name, err)
			continue
		}
		if got := e.Format(true) + "\n" + hint[name]; got != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		n++
	}
	t.Logf("%d cases", n)
}
