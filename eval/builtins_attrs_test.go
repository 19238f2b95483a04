package eval

import (
	"os"
	"path/filepath"
	"testing"
)

var attrsCases = []nixCase{
	{expr: `builtins.attrNames { b = 1; a = 2; "" = 3; "B" = 4; }`, want: `[ "" "B" "a" "b" ]`},
	{expr: `builtins.attrValues { b = 1; a = 2; }`, want: `[ 2 1 ]`},
	{expr: `builtins.attrNames [ ]`, err: `expected a set but found a list: [ ]`},
	{expr: `[ (builtins.getAttr "a" { a = 1; }) (builtins.hasAttr "b" { a = 1; }) (builtins.hasAttr "a" { a = 1; }) ]`, want: `[ 1 false true ]`},
	{expr: `builtins.getAttr "b" { a = 1; }`, err: `attribute 'b' missing`},
	{expr: `builtins.getAttr 1 { a = 1; }`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.intersectAttrs { a = 1; b = 2; c = 3; } { b = 20; c = 30; d = 40; }`, want: `{ b = 20; c = 30; }`},
	{expr: `builtins.intersectAttrs { } { a = 1; }`, want: `{ }`},
	{expr: `builtins.catAttrs "a" [ { a = 1; } { b = 2; } { a = 3; } ]`, want: `[ 1 3 ]`},
	{expr: `builtins.catAttrs "a" [ 1 ]`, err: `expected a set but found an integer: 1`},
	{expr: `builtins.removeAttrs { a = 1; b = 2; c = 3; } [ "a" "c" "z" ]`, want: `{ b = 2; }`},
	{expr: `builtins.removeAttrs { a = 1; } [ 1 ]`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.listToAttrs [ { name = "a"; value = 1; } { name = "b"; value = 2; } { name = "a"; value = 3; } ]`, want: `{ a = 1; b = 2; }`},
	{expr: `builtins.listToAttrs [ { name = "a"; } ]`, err: `attribute 'value' missing`},
	{expr: `builtins.listToAttrs [ { value = 1; } ]`, err: `attribute 'name' missing`},
	{expr: `builtins.listToAttrs [ { name = 1; value = 1; } ]`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.listToAttrs [ { name = "a"; value = throw "lazy"; } { name = "a"; value = 2; } ] ? a`, want: `true`},
	{expr: `builtins.mapAttrs (n: v: n + toString v) { a = 1; b = 2; }`, want: `{ a = "a1"; b = "b2"; }`},
	{expr: `builtins.attrNames (builtins.mapAttrs throw { a = 1; b = 2; })`, want: `[ "a" "b" ]`},
	{expr: `builtins.zipAttrsWith (n: v: v) [ { a = 1; b = 2; } { b = 3; c = 4; } { a = 5; } ]`, want: `{ a = [ 1 5 ]; b = [ 2 3 ]; c = [ 4 ]; }`},
	{expr: `builtins.zipAttrsWith (n: v: n) [ { a = 1; } { b = 2; } ]`, want: `{ a = "a"; b = "b"; }`},
	{expr: `builtins.zipAttrsWith (n: v: v) [ ]`, want: `{ }`},
	{expr: `builtins.zipAttrsWith (_: 1) [ 1 ]`, err: `expected a set but found an integer: 1`},
	{expr: `builtins.functionArgs ({ a, b ? 1, ... }: a)`, want: `{ a = false; b = true; }`},
	{expr: `builtins.functionArgs (x: x)`, want: `{ }`},
	{expr: `builtins.functionArgs builtins.map`, want: `{ }`},
	{expr: `builtins.functionArgs 1`, err: `'functionArgs' requires a function`},
	// Positions: of attributes defined in files (in an expression given as
	// a string, current Nix has no position; Nix 2.8 gave the source text
	// as the file).
	{expr: `let p = builtins.unsafeGetAttrPos "b" (import ./pos.nix).set; in [ p.line p.column (baseNameOf p.file) ]`, want: `[ 2 3 "pos.nix" ]`},
	{expr: `let p = builtins.unsafeGetAttrPos "a" (import ./pos.nix).fromList; in [ p.line p.column ]`, want: `[ 3 51 ]`},
	{expr: `let p = builtins.unsafeGetAttrPos "a" (builtins.functionArgs (import ./pos.nix).fn); in [ p.line p.column ]`, want: `[ 4 13 ]`},
	{expr: `builtins.unsafeGetAttrPos "x" { a = 1; }`, want: `null`},
	{expr: `builtins.unsafeGetAttrPos "a" { a = 1; }`, want: `null`, newer: true},
	{expr: `builtins.groupBy (x: x.t) [ { t = "a"; v = 1; } { t = "b"; v = 2; } { t = "a"; v = 3; } ]`, want: `{ a = [ { t = "a"; v = 1; } { t = "a"; v = 3; } ]; b = [ { t = "b"; v = 2; } ]; }`},
}

// posFile is a file whose attributes have positions.
const posFile = `{ set = { a = 1;
  b = 2; };
  fromList = builtins.listToAttrs [ { name = "a"; value = 1; } ];
  fn = { x, a }: x;
}
`

func posDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pos.nix"), []byte(posFile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAttrsBuiltins(t *testing.T) {
	runNixCases(t, posDir(t), attrsCases, Options{})
}

func TestAttrsBuiltinsMatchNix(t *testing.T) {
	checkNixCases(t, posDir(t), attrsCases)
}
