package eval

import (
	"testing"

	"github.com/govix/govix/eval/syntax"
)

// TestShowExpr checks expressions shown as Nix's Expr::show shows them in
// assertion messages. The cases agree with Nix 2.8 except where current
// Nix changed (sorted formals, inherits first), which is followed here.
func TestShowExpr(t *testing.T) {
	tests := []struct{ src, want string }{
		{`[ 1 2 ]`, `[ (1) (2) ]`},
		{`{ b = 1; a = 2; inherit (x) d c; inherit x; }`, `{ inherit x; inherit (x) c d; a = 2; b = 1; }`},
		{`(x: { b, a ? 1, ... }@y: x)`, `(x: ({ a ? 1, b, ... } @ y: x))`},
		{`./a/${"b"}/c == ~/x`, `((/base/a/ + "b" + "/c") == /home/x)`},
		{`./a/../b`, `/base/b`},
		{`let { body = 1; }`, `(rec { body = 1; }).body`},
		{`{a = 1;}.a or 2`, `({ a = 1; }).a or (2)`},
		{`"a${toString x}c"`, `("a" + (toString x) + "c")`},
		{`let a = 1; inherit x; in a`, `(let inherit x; a = 1; in a)`},
		{`x ? a.b`, `((x) ? a.b)`},
		{`{ "a b" = 1; ${x} = 2; "if" = 3; }`, `{ "a b" = 1; "if" = 3; "${x}" = 2; }`},
		{`<nixpkgs>`, `(__findFile __nixPath "nixpkgs")`},
		{`http://x.org/a`, `"http://x.org/a"`},
		{`-x`, `(__sub 0 x)`},
		{`1.5e10`, `1.5e+10`},
		{`with x; y`, `(with x; y)`},
		{"''  a${x}''", `("a" + x)`},
		{`"${x}"`, `(x)`},
		{`1 - 2 * 3 / 4 < 5 && (2 >= 3 || 2 <= 1 || 1 > 2)`,
			`((__lessThan (__sub 1 (__div (__mul 2 3) 4)) 5) && (((! (__lessThan 2 3)) || (! (__lessThan 1 2))) || (__lessThan 2 1)))`},
		{`!a -> b // c ++ d`, `((! a) -> (b // (c ++ d)))`},
		{`if a then "x\n\${" else null`, `(if a then "x\n\${" else null)`},
		{`f x y`, `(f x y)`},
	}
	for _, tt := range tests {
		fset := syntax.NewFileSet()
		e, err := syntax.Parse(fset, "t.nix", []byte(tt.src), syntax.Options{Globals: func(string) bool { return true }})
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if got := showExpr(e, "/base", "/home"); got != tt.want {
			t.Errorf("showExpr(%s) = %s, want %s", tt.src, got, tt.want)
		}
	}
}
