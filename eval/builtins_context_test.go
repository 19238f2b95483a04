package eval

import (
	"reflect"
	"testing"
)

// drvDeep is a string with ctxDrv and all its outputs as context (what a
// derivation's drvPath has).
const drvDeep = `(builtins.appendContext "` + ctxDrv + `" { "` + ctxDrv + `" = { allOutputs = true; }; })`

var contextCases = []nixCase{
	{expr: `builtins.hasContext ""`, want: `false`},
	{expr: `builtins.hasContext ` + withCtx, want: `true`},
	{expr: `builtins.hasContext 1`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.getContext "foo"`, want: `{ }`},
	{expr: `builtins.getContext ` + withCtx, want: `{ "` + ctxPath + `" = { path = true; }; }`},
	{expr: `builtins.getContext ` + drvDeep, want: `{ "` + ctxDrv + `" = { allOutputs = true; }; }`},
	{expr: `builtins.getContext (builtins.appendContext "" { "` + ctxDrv + `" = { outputs = [ "out" "dev" "bin" ]; path = true; allOutputs = true; }; })`,
		want: `{ "` + ctxDrv + `" = { allOutputs = true; outputs = [ "bin" "dev" "out" ]; path = true; }; }`},
	{expr: `builtins.getContext (` + withCtx + ` + ` + drvOut + ` + ` + drvDeep + `)`,
		want: `{ "` + ctxDrv + `" = { allOutputs = true; outputs = [ "out" ]; }; "` + ctxPath + `" = { path = true; }; }`},
	{expr: `builtins.getContext (builtins.appendContext "" { "` + ctxDrv + `" = { outputs = [ ]; path = false; allOutputs = false; }; })`, want: `{ }`},
	{expr: `builtins.getContext (builtins.appendContext "" { "/nix/store/./ffffffffffffffffffffffffffffffff-x" = { path = true; }; })`,
		want: `{ "` + ctxPath + `" = { path = true; }; }`, newer: true}, // Nix 2.8 keeps the key as written
	{expr: `builtins.getContext 1`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.appendContext "" { "/tmp/x" = { path = true; }; }`, err: `context key '/tmp/x' is not a store path`},
	{expr: `builtins.appendContext "" { "` + ctxPath + `" = { allOutputs = true; }; }`,
		err: `tried to add all-outputs context of ` + ctxPath + `, which is not a derivation, to a string`},
	{expr: `builtins.appendContext "" { "` + ctxPath + `" = { outputs = [ "out" ]; }; }`,
		err: `tried to add derivation output context of ` + ctxPath + `, which is not a derivation, to a string`},
	{expr: `builtins.appendContext "" { "` + ctxPath + `" = 1; }`, err: `expected a set but found an integer: 1`},
	{expr: `builtins.appendContext "" { "` + ctxPath + `" = { path = 1; }; }`, err: `expected a Boolean but found an integer: 1`},
	{expr: `builtins.appendContext "" { "` + ctxDrv + `" = { outputs = "out"; }; }`, err: `expected a list but found a string: "out"`},
	{expr: `builtins.appendContext 1 { }`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.appendContext "" 1`, err: `expected a set but found an integer: 1`},

	{expr: `builtins.hasContext (builtins.unsafeDiscardStringContext ` + withCtx + `)`, want: `false`},
	{expr: `builtins.unsafeDiscardStringContext ` + withCtx, want: `"` + ctxPath + `"`},
	{expr: `builtins.unsafeDiscardStringContext { outPath = "x"; }`, want: `"x"`},
	{expr: `builtins.unsafeDiscardStringContext 1`, err: `cannot coerce an integer to a string: 1`},
	{expr: `builtins.getContext (builtins.unsafeDiscardOutputDependency ` + drvDeep + `)`, want: `{ "` + ctxDrv + `" = { path = true; }; }`},
	{expr: `builtins.getContext (builtins.unsafeDiscardOutputDependency (` + drvDeep + ` + ` + drvOut + `))`,
		want: `{ "` + ctxDrv + `" = { outputs = [ "out" ]; path = true; }; }`},
	{expr: `builtins.unsafeDiscardOutputDependency "x"`, want: `"x"`},

	// addDrvOutputDependencies is newer than Nix 2.8.
	{expr: `builtins.getContext (builtins.addDrvOutputDependencies (builtins.unsafeDiscardOutputDependency ` + drvDeep + `))`,
		want: `{ "` + ctxDrv + `" = { allOutputs = true; }; }`, newer: true},
	{expr: `builtins.getContext (builtins.addDrvOutputDependencies ` + drvDeep + `)`, want: `{ "` + ctxDrv + `" = { allOutputs = true; }; }`, newer: true},
	{expr: `builtins.addDrvOutputDependencies ""`, err: `context of string '' must have exactly one element, but has 0`, newer: true},
	{expr: `builtins.addDrvOutputDependencies (` + withCtx + ` + ` + drvDeep + `)`,
		err: `context of string '` + ctxPath + ctxDrv + `' must have exactly one element, but has 2`, newer: true},
	{expr: `builtins.addDrvOutputDependencies ` + drvOut,
		err: "`addDrvOutputDependencies` can only act on derivations, not on a derivation output such as 'out'", newer: true},
	{expr: `builtins.addDrvOutputDependencies ` + withCtx, err: `path '` + ctxPath + `' is not a derivation`, newer: true},

	// Context survives the string builtins that keep it.
	{expr: `let s = ` + withCtx + ` + ` + drvOut + `; in s == builtins.appendContext (builtins.unsafeDiscardStringContext s) (builtins.getContext s)`, want: `true`},
}

func TestContextBuiltins(t *testing.T) {
	runNixCases(t, "/dir", contextCases, Options{IO: &MemIO{}})
}

func TestContextBuiltinsMatchNix(t *testing.T) {
	checkNixCasesConcurrently(t, "/dir", contextCases)
}

// The context element encodings of the three kinds.
func TestContextEncoding(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	v, err := ev.EvalSource(t.Context(), "«string»", "/", []byte(withCtx+` + `+drvOut+` + `+drvDeep))
	if err != nil {
		t.Fatal(err)
	}
	got := v.(*String).Context().Elems()
	want := []string{"!out!" + ctxDrv, ctxPath, "=" + ctxDrv}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
