package eval

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/govix/govix/internal/testutil"
)

// evalCases are expressions and what nix-instantiate --eval --strict
// prints for them (checked against Nix 2.8 by TestEvalMatchesNix).
var evalCases = []struct {
	expr, want string
}{
	// Literals and arithmetic.
	{`1 + 2 * 3 - 4 / 2`, `5`},
	{`7 / 2`, `3`},
	{`(-7) / 2`, `-3`},
	{`1.5 + 2`, `3.5`},
	{`1 / 3.0`, `0.333333`},
	{`1.0e20`, `1e+20`},
	{`100000.0 * 10`, `1e+06`},
	{`0.1 + 0.2`, `0.3`},
	{`9223372036854775807`, `9223372036854775807`},
	{`2 < 3`, `true`},
	{`3 <= 2`, `false`},
	{`"a" < "b"`, `true`},
	{`[ 1 2 ] < [ 1 3 ]`, `true`},
	{`1 == 1.0`, `true`},
	{`{ a = 1; } == { a = 1; }`, `true`},
	{`[ 1 "x" ] == [ 1 "x" ]`, `true`},
	{`(x: x) == (x: x)`, `false`},
	{`let f = x: x; in [ f ] == [ f ]`, `true`},
	{`let f = x: x; in f == f`, `false`},
	{`!true || false && true`, `false`},
	{`false -> abort "no"`, `true`},

	// Strings and interpolation.
	{`"a" + "b"`, `"ab"`},
	{`"x${toString 12}y"`, `"x12y"`},
	{"''\n  line1\n    line2\n''", `"line1\n  line2\n"`},
	{`"$" + "{x}"`, `"\${x}"`},
	{`toString [ 1 "a" null true false [ ] 2.5 ]`, `"1 a  1  2.500000"`},
	{`toString { outPath = "/x"; }`, `"/x"`},
	{`toString { __toString = self: "s${toString self.n}"; n = 3; }`, `"s3"`},

	// Sets.
	{`{ b = 1; a = 2; }`, `{ a = 2; b = 1; }`},
	{`rec { a = 1; b = a + 1; }`, `{ a = 1; b = 2; }`},
	{`{ a.b.c = 1; a.d = 2; }`, `{ a = { b = { c = 1; }; d = 2; }; }`},
	{`{ ${"x" + "y"} = 1; ${null} = 2; }`, `{ xy = 1; }`},
	{`{ a = 1; } // { b = 2; a = 3; }`, `{ a = 3; b = 2; }`},
	{`{ a = { b = 1; }; } ? a.b`, `true`},
	{`{ a = 1; } ? b`, `false`},
	{`{ a = 1; }.b or 5`, `5`},
	{`let a = 1; b = { inherit a; c = 2; }; in b`, `{ a = 1; c = 2; }`},
	{`let s = { x = 1; y = 2; }; in { inherit (s) x y; }`, `{ x = 1; y = 2; }`},
	{`let { a = 1; body = a + 1; }`, `2`},
	{`(rec { __overrides = { a = 2; }; x = a; a = 1; }).x`, `2`},
	{`let x = 1; in with { x = 2; y = 3; }; x + y`, `4`},
	{`with { a = 1; }; with { a = 2; }; a`, `2`},
	{`builtins.attrNames { b = 1; a = 2; c = 3; }`, `[ "a" "b" "c" ]`},
	{`builtins.listToAttrs [ { name = "a"; value = 1; } { name = "a"; value = 2; } ]`, `{ a = 1; }`},
	{`builtins.mapAttrs (n: v: n + toString v) { a = 1; b = 2; }`, `{ a = "a1"; b = "b2"; }`},
	{`builtins.removeAttrs { a = 1; b = 2; } [ "a" "z" ]`, `{ b = 2; }`},
	{`builtins.intersectAttrs { a = 0; } { a = 1; b = 2; }`, `{ a = 1; }`},
	{`builtins.catAttrs "a" [ { a = 1; } { b = 0; } { a = 2; } ]`, `[ 1 2 ]`},

	// Functions.
	{`({ a, b ? a + 1, ... }@args: [ a b (builtins.attrNames args) ]) { a = 1; c = 3; }`, `[ 1 2 [ "a" "c" ] ]`},
	{`(x: y: x - y) 5 3`, `2`},
	{`let f = { x ? y, y ? 7 }: x; in f { }`, `7`},
	{`builtins.functionArgs ({ a, b ? 1 }: a)`, `{ a = false; b = true; }`},
	{`({ __functor = self: x: x + self.n; n = 10; }) 5`, `15`},
	{`builtins.map (x: x * 2) [ 1 2 3 ]`, `[ 2 4 6 ]`},
	{`builtins.filter (x: x > 1) [ 1 2 3 ]`, `[ 2 3 ]`},
	{`builtins.foldl' (a: b: a + b) 0 [ 1 2 3 ]`, `6`},
	{`builtins.genList (i: i * i) 4`, `[ 0 1 4 9 ]`},
	{`builtins.concatLists [ [ 1 ] [ ] [ 2 3 ] ]`, `[ 1 2 3 ]`},
	{`builtins.concatMap (x: [ x x ]) [ 1 2 ]`, `[ 1 1 2 2 ]`},
	{`[ (builtins.elem 2 [ 1 2 ]) (builtins.any (x: x > 2) [ 1 2 ]) (builtins.all (x: x > 0) [ 1 2 ]) ]`, `[ true false true ]`},
	{`[ (builtins.head [ 1 2 ]) (builtins.tail [ 1 2 ]) (builtins.elemAt [ 1 2 ] 1) (builtins.length [ 1 2 ]) ]`, `[ 1 [ 2 ] 2 2 ]`},
	{`builtins.add 1 2`, `3`},
	{`let add = builtins.add 1; in add 2`, `3`},

	// Types.
	{`map builtins.typeOf [ 1 1.0 "s" ./. null true { } [ ] (x: x) builtins.add ]`,
		`[ "int" "float" "string" "path" "null" "bool" "set" "list" "lambda" "lambda" ]`},
	{`[ (builtins.isInt 1) (builtins.isString "") (builtins.isFunction map) (builtins.isNull null) ]`, `[ true true true true ]`},

	// Evaluation control.
	{`builtins.tryEval (throw "x")`, `{ success = false; value = false; }`},
	{`builtins.tryEval (assert false; 1)`, `{ success = false; value = false; }`},
	{`builtins.tryEval 3`, `{ success = true; value = 3; }`},
	{`builtins.seq 1 2`, `2`},
	{`builtins.deepSeq [ 1 ] 2`, `2`},
	{`let x = builtins.tryEval (throw "a"); in [ x.success x.success ]`, `[ false false ]`},

	// Reused environments of functions that capture nothing.
	{`let g = a: b: a + b; h = g 1; in [ (h 2) (h 3) (builtins.foldl' g 0 [ 1 2 3 ]) (h 4) ]`, `[ 3 4 6 5 ]`},
	{`let l = map (x: x * 2) [ 1 2 3 ]; in [ (builtins.elemAt l 2) (builtins.elemAt l 0) (builtins.elemAt l 1) ]`, `[ 6 2 4 ]`},
	{`let p = x: x > 1; q = x: builtins.filter p [ x 0 (x + 1) ]; in map q [ 1 2 ]`, `[ [ 2 ] [ 2 3 ] ]`},
	{`let f = x: y: if x then y else 0; in map (f true) (builtins.genList (i: i * i) 4)`, `[ 0 1 4 9 ]`},

	// Printing.
	{`let x = [ 1 ]; in [ x x ]`, `[ [ 1 ] «repeated» ]`},
	{`[ { } { } [ ] [ ] ]`, `[ { } { } [ ] [ ] ]`},
	{`[ null map (builtins.add 1) (x: x) ]`, `[ null <PRIMOP> <PRIMOP-APP> <LAMBDA> ]`},
	{`{ "a b" = 1; "if" = 2; x-y = 3; }`, `{ "a b" = 1; "if" = 2; x-y = 3; }`},
}

func evalString(t *testing.T, ev *Evaluator, src string) (string, error) {
	t.Helper()
	v, err := ev.EvalSource(context.Background(), "«string»", "/dir", []byte(src))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := ev.WriteValue(context.Background(), &b, v, true); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func TestEval(t *testing.T) {
	for _, c := range evalCases {
		ev := New(Options{IO: &MemIO{}})
		got, err := evalString(t, ev, c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.expr, got, c.want)
		}
	}
}

// TestEvalMatchesNix checks the expected outputs against Nix 2.8.
func TestEvalMatchesNix(t *testing.T) {
	testutil.RequireNix(t)
	for _, c := range evalCases {
		if strings.Contains(c.expr, "./.") {
			continue // depends on the directory
		}
		out, err := exec.Command("nix-instantiate", "--eval", "--strict", "-E", c.expr).CombinedOutput()
		if err != nil {
			t.Errorf("nix-instantiate %s: %v\n%s", c.expr, err, out)
			continue
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != c.want {
			t.Errorf("%s: Nix prints %s, the test wants %s", c.expr, got, c.want)
		}
	}
}

var errorCases = []struct {
	expr string
	kind ErrorKind
	msg  string
}{
	{`throw "boom"`, ThrownError, `boom`},
	{`abort "no"`, Abort, `evaluation aborted with the following error message: 'no'`},
	{`assert 1 == 2; 3`, AssertionError, `an integer with value '1' is not equal to an integer with value '2'`},
	{`assert false; 3`, AssertionError, `assertion 'false' failed`},
	{`let x = x; in x`, InfiniteRecursion, `infinite recursion encountered`},
	{`{ a = 1; }.b`, EvalError, `attribute 'b' missing`},
	{`1 + "a"`, EvalError, `cannot add a string to an integer`},
	{`"a" + 1`, TypeError, `cannot coerce an integer to a string: 1`},
	{`9223372036854775807 + 1`, EvalError, `integer overflow in adding 9223372036854775807 + 1`},
	{`1 / 0`, EvalError, `division by zero`},
	{`builtins.length 1`, TypeError, `expected a list but found an integer: 1`},
	{`({ a }: a) { }`, TypeError, `function 'anonymous lambda' called without required argument 'a'`},
	{`({ a }: a) { a = 1; b = 2; }`, TypeError, `function 'anonymous lambda' called with unexpected argument 'b'`},
	{`1 2`, TypeError, `attempt to call something which is not a function but an integer: 1`},
	{`if 1 then 2 else 3`, TypeError, `expected a Boolean but found an integer: 1`},
	{`with 1; x`, TypeError, `expected a set but found an integer: 1`},
	{`{ a = 1; a = 2; }`, ParseError, `attribute 'a' already defined at «string»:1:3`},
	{`x`, ParseError, `undefined variable 'x'`},
	{`let f = n: f (n + 1); in f 0`, StackOverflow, `stack overflow; max-call-depth exceeded`},
	{`builtins.derivationStrict { name = "x"; }`, EvalError, `cannot evaluate a derivation: this evaluation has no store (the operation needs one)`},
	{`"${./file}"`, EvalError, `path '/dir/file' does not exist`},
	{`builtins.toJSON (x: x)`, TypeError, `cannot convert a function to JSON`},
}

func TestEvalErrors(t *testing.T) {
	for _, c := range errorCases {
		ev := New(Options{IO: &MemIO{}})
		_, err := evalString(t, ev, c.expr)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: got %v, want an *Error", c.expr, err)
			continue
		}
		if e.Kind != c.kind || e.Msg != c.msg {
			t.Errorf("%s: got kind %d %q, want kind %d %q", c.expr, e.Kind, e.Msg, c.kind, c.msg)
		}
		if !errors.Is(err, &Error{Kind: c.kind}) {
			t.Errorf("%s: errors.Is does not match the kind", c.expr)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	_, err := evalString(t, ev, "let\n  f = x: builtins.length x;\nin f 1")
	want := `error:
       … from call site
         at «string»:3:4:
            2|   f = x: builtins.length x;
            3| in f 1
             |    ^

       … while calling 'f'
         at «string»:2:7:
            1| let
            2|   f = x: builtins.length x;
             |       ^
            3| in f 1

       … while calling the 'length' builtin
         at «string»:2:10:
            1| let
            2|   f = x: builtins.length x;
             |          ^
            3| in f 1

       … while evaluating the first argument passed to builtins.length

       error: expected a list but found an integer: 1`
	if got := err.(*Error).Format(true); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Deep recursion ends in a clean error, and at least 10,000 nested calls
// and Nix's depth of nested thunks are allowed.
func TestDeepRecursion(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	got, err := evalString(t, ev, `let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 9990`)
	if err != nil || got != "9990" {
		t.Errorf("9990 nested calls: %s %v", got, err)
	}
	// f a b is one call, as in Nix.
	got, err = evalString(t, ev, `let f = a: b: if a == 0 then b else f (a - 1) b; in f 9990 7`)
	if err != nil || got != "7" {
		t.Errorf("9990 nested calls of two arguments: %s %v", got, err)
	}
	got, err = evalString(t, ev, `let s = builtins.listToAttrs (builtins.genList (i: {
		name = "x${toString i}"; value = if i == 0 then 0 else s."x${toString (i - 1)}" + 1; }) 50000);
		in s.x49999`)
	if err != nil || got != "49999" {
		t.Errorf("50000 nested thunks: %s %v", got, err)
	}
	for _, src := range []string{
		`let f = n: 1 + f (n + 1); in f 0`,
		`let s = builtins.listToAttrs (builtins.genList (i: {
			name = "x${toString i}"; value = if i == 0 then 0 else s."x${toString (i - 1)}" + 1; }) 200000);
			in s.x199999`,
		`builtins.deepSeq (builtins.foldl' (acc: x: { inherit acc; }) null (builtins.genList (x: x) 100000)) 1`,
	} {
		_, err := evalString(t, ev, src)
		if !errors.Is(err, &Error{Kind: StackOverflow}) {
			t.Errorf("%.40s...: got %v, want a stack overflow", src, err)
		}
	}
	// The evaluator stays usable after errors.
	if got, err := evalString(t, ev, `1 + 1`); err != nil || got != "2" {
		t.Errorf("after errors: %s %v", got, err)
	}
}

func TestImportAndMemIO(t *testing.T) {
	io := &MemIO{
		Files: map[string]string{
			"/p/default.nix":     `{ x = import ./lib.nix; y = import ./lib.nix; sub = import ./sub; }`,
			"/p/lib.nix":         `{ n = 1; f = a: a + 1; }`,
			"/p/sub/default.nix": `scopedImport { z = 5; } ./scoped.nix`,
			"/p/sub/scoped.nix":  `z * 2`,
			"/p/text":            "hello",
		},
		Symlinks: map[string]string{"/p/link.nix": "lib.nix"},
		Env:      map[string]string{"HOME": "/home/u", "NIX_PATH": "p=/p"},
	}
	ev := New(Options{IO: io})
	got, err := evalString(t, ev, `let p = import /p; in [ (p.x == p.y) p.x.n (p.x.f 1) p.sub (import /p/link.nix).n (import <p/lib.nix>).n ~/x ]`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[ true 1 2 10 1 1 /home/u/x ]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// The same file gives the same (shared) value.
	got, err = evalString(t, ev, `let a = import /p/lib.nix; b = import /p/lib.nix; in [ a ] == [ b ]`)
	if err != nil || got != "true" {
		t.Errorf("import cache: %s %v", got, err)
	}
}

type fakeStore struct{ copied []string }

func (s *fakeStore) CopyPathToStore(ctx context.Context, path string) (string, error) {
	s.copied = append(s.copied, path)
	return "/nix/store/00000000000000000000000000000000-" + path[strings.LastIndexByte(path, '/')+1:], nil
}

func TestStoreHookAndExtraBuiltins(t *testing.T) {
	st := &fakeStore{}
	ev := New(Options{
		IO:    &MemIO{Files: map[string]string{"/dir/file": "x"}},
		Store: st,
		Builtins: []*Builtin{
			{Name: "derivationStrict", Arity: 1, Global: true, Fn: func(c Call) Value {
				a := c.Attrs(0)
				n := c.Get(a, "name")
				b := c.NewAttrs(2)
				name := c.ForceString(n.Value, "name").String()
				b.Set("drvPath", Str("/nix/store/x-"+name+".drv"))
				b.Set("out", Str("/nix/store/x-"+name))
				return b.Attrs()
			}},
		},
	})
	got, err := evalString(t, ev, `[ "${./file}" (derivation { name = "d"; builder = "b"; system = "s"; }).outPath ]`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[ "/nix/store/00000000000000000000000000000000-file" "/nix/store/x-d" ]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if len(st.copied) != 1 || st.copied[0] != "/dir/file" {
		t.Errorf("copied %v", st.copied)
	}
}

func TestCancel(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := ev.EvalSource(ctx, "«string»", "/", []byte(`let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1); in f 40`))
	if !errors.Is(err, &Error{Kind: Interrupted}) {
		t.Errorf("got %v, want Interrupted", err)
	}
}

func TestUpdateMerge(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	// Small right sides are inserted by binary search, large ones merged:
	// compare both with a naive model.
	for _, c := range []struct{ left, right int }{{100, 1}, {100, 3}, {40, 2}, {10, 10}, {1, 100}, {300, 5}} {
		src := `let
		  l = builtins.listToAttrs (builtins.genList (i: { name = "k${toString (i * 3)}"; value = "l${toString i}"; }) ` + itoa(c.left) + `);
		  r = builtins.listToAttrs (builtins.genList (i: { name = "k${toString (i * 7)}"; value = "r${toString i}"; }) ` + itoa(c.right) + `);
		  u = l // r;
		  check = name: u.${name} == (if r ? ${name} then r.${name} else l.${name});
		in builtins.all check (builtins.attrNames l ++ builtins.attrNames r)
		  && builtins.length (builtins.attrNames u) == builtins.length (builtins.attrNames (builtins.listToAttrs (map (n: { name = n; value = null; }) (builtins.attrNames l ++ builtins.attrNames r))))
		  && builtins.attrNames u == builtins.attrNames (builtins.mapAttrs (n: v: v) u)`
		got, err := evalString(t, ev, src)
		if err != nil || got != "true" {
			t.Errorf("%d // %d: %s %v", c.left, c.right, got, err)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestLargeSetIndex(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	// Many lookups in a large set go through its hash index; the answers
	// must not change (hits, misses, and layers on top of an indexed set).
	got, err := evalString(t, ev, `let
	  s = builtins.listToAttrs (builtins.genList (i: { name = "n${toString (i * 2)}"; value = i; }) 500);
	  hits = builtins.foldl' (acc: i: acc + s."n${toString (i * 2)}") 0 (builtins.genList (i: i) 500);
	  misses = builtins.filter (i: s ? "n${toString (i * 2 + 1)}") (builtins.genList (i: i) 500);
	  t = s // { n3 = 3; n4 = -1; };
	in [ hits (builtins.length misses) t.n3 t.n4 t.n6 (builtins.length (builtins.attrNames t)) ]`)
	if err != nil || got != "[ 124750 0 3 -1 3 501 ]" {
		t.Errorf("got %s %v", got, err)
	}
}
