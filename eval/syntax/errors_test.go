package syntax

import (
	"fmt"
	"strings"
	"testing"
)

// TestErrors checks errors other than Bison's syntax errors, with current
// Nix's wording and positions (which Nix 2.8 shares except where noted).
func TestErrors(t *testing.T) {
	tests := []struct {
		src  string
		opts Options
		want string // LINE:COL: MESSAGE, or "" for no error
	}{
		// Duplicate attributes (ParserState::addAttr and dupAttr).
		{src: `{ a = 1; a = 2; }`, want: `1:10: attribute 'a' already defined at f:1:3`},
		{src: `{ a.b = 1; a.b = 2; }`, want: `1:12: attribute 'a.b' already defined at f:1:3`},
		// Nix 2.8 says 'a.b' here; current Nix names the clashing prefix.
		{src: `{ a = 1; a.b = 2; }`, want: `1:10: attribute 'a' already defined at f:1:3`},
		{src: `{ a.b = 1; a = 2; }`, want: `1:12: attribute 'a' already defined at f:1:3`},
		// Nix 2.8 reports this one at the first definition.
		{src: `{ a = {b = 1;}; a = {b = 2;}; }`, want: `1:22: attribute 'a.b' already defined at f:1:8`},
		{src: `{ a = {b = 1;}; a = {c = 2;}; }`},
		{src: `{ a.b = 1; a = {c = 2;}; a.d = 3; }`},
		{src: `{ x.y.y = 3; x = { y.y = 3; z = 3; }; }`, want: `1:20: attribute 'x.y.y' already defined at f:1:3`},
		{src: `{ a = rec {}; a.b = 1; }`},
		{src: `let b = 1; in { inherit b; b = 1; }`, want: `1:28: attribute 'b' already defined at f:1:25`},
		{src: `let b = 1; in { b = 1; inherit b; }`, want: `1:32: attribute 'b' already defined at f:1:17`},
		{src: `let b = 1; in { inherit b b; }`, want: `1:27: attribute 'b' already defined at f:1:25`},
		{src: `let a = {}; in { inherit (a) b; b = 1; }`, want: `1:33: attribute 'b' already defined at f:1:30`},
		{src: `let a = 1; a = 2; in a`, want: `1:12: attribute 'a' already defined at f:1:5`},
		{src: `{ "a" = 1; ${"a"} = 2; }`, want: `1:12: attribute 'a' already defined at f:1:3`},
		{src: `let x = 1; in { ${x} = 1; ${x} = 2; }`},

		// Dynamic attributes where they are not allowed.
		{src: `let x = 1; in let ${x} = 1; in 1`, want: `1:15: dynamic attributes not allowed in let`},
		{src: `let ${"a"} = 1; "b" = 2; in a`},
		{src: `let x = 1; in { inherit ${x}; }`, want: `1:25: dynamic attributes not allowed in inherit`},
		{src: `let x = 1; in { inherit "${x}"; }`, want: `1:25: dynamic attributes not allowed in inherit`},
		{src: `let a = 1; in { inherit ${"a"} "a"; }`, want: `1:32: attribute 'a' already defined at f:1:25`},

		// Formals.
		{src: `{a, b, a}: 1`, want: `1:8: duplicate formal function argument 'a'`},
		{src: `{b, a, b, a}: 1`, want: `1:8: duplicate formal function argument 'b'`},
		{src: `a@{a}: 1`, want: `1:1: duplicate formal function argument 'a'`},
		{src: `{a}@a: 1`, want: `1:1: duplicate formal function argument 'a'`},
		{src: `{a ? b, b ? a}: a`},

		// Undefined variables (bindVars).
		{src: `x`, want: `1:1: undefined variable 'x'`},
		{src: `let a = b; in a`, want: `1:9: undefined variable 'b'`},
		{src: `{ a = b; b = 1; }`, want: `1:7: undefined variable 'b'`},
		{src: `rec { a = b; b = 1; }`},
		{src: `rec { a = b; ${"b"} = 1; }`},
		{src: `let x = 1; in rec { a = b; ${x} = 1; }`, want: `1:25: undefined variable 'b'`},
		{src: `let inherit x; in 1`, want: `1:13: undefined variable 'x'`},
		{src: `let x = 1; in let inherit x; in x`},
		{src: `rec { inherit a; b = 1; }`, want: `1:15: undefined variable 'a'`},
		{src: `let a = {}; in rec { inherit (a) b; a = 1; }`},
		{src: `with {}; x`},
		{src: `x: with x; y`},
		{src: `{ a ? b, ... }@args: args`, want: `1:7: undefined variable 'b'`},
		{src: `{ a ? args, ... }@args: a`},
		{src: `a: b: a b c`, want: `1:11: undefined variable 'c'`},
		{src: `x: x.${y}`, want: `1:8: undefined variable 'y'`},
		{src: `x: x.a or y`, want: `1:11: undefined variable 'y'`},
		{src: `x: x > y`, want: `1:8: undefined variable 'y'`},
		{src: `a > b`, want: `1:5: undefined variable 'b'`},
		{src: `a <= b`, want: `1:6: undefined variable 'b'`},
		{src: `a < b`, want: `1:1: undefined variable 'a'`},
		{src: `map toString [ true false null builtins ]`},
		{src: `__curPos`},
		{src: `<nixpkgs>`},
		{src: `{ a = b; }`, opts: Options{NoScopeCheck: true}},
		{src: `foo`, opts: Options{Globals: func(n string) bool { return n == "foo" }}},
		{src: `map`, opts: Options{Globals: func(n string) bool { return n == "foo" }}, want: `1:1: undefined variable 'map'`},

		// Lexer errors.
		{src: `99999999999999999999`, want: `1:1: invalid integer '99999999999999999999'`},
		{src: `9223372036854775807`},
		{src: `1.0e400`, want: `1:1: invalid float '1.0e400'`},
		{src: `2.5e-310`, want: `1:1: invalid float '2.5e-310'`},
		{src: `0.0e-400`},
		{src: `[ ./a/ ]`, want: `1:7: path has a trailing slash`},
		{src: `./a/`, want: `1:1: path has a trailing slash`},
		{src: "x: ./a/${x}/", want: `1:12: path has a trailing slash`},
		{src: `1 |> 2`, want: `1:3: experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it`},
		{src: `f <| 2`, opts: Options{PipeOperators: true, NoScopeCheck: true}},
		{src: "\"a\x00b\"", want: "1:2: input string 'a␀b' cannot be represented as Nix string because it contains null bytes"},
		{src: "''a\x00b''", want: "1:3: input string 'a␀b' cannot be represented as Nix string because it contains null bytes"},
		{src: "1\x00 garbage"},

		// Positions at the end of a path, which Nix's lexer takes from the
		// location it stashed (Nix 2.8 reports the same tokens).
		{src: `x: (./a`, want: `1:5: syntax error, unexpected end of file, expecting ')'`},
		{src: `x: ( ./a`, want: `1:6: syntax error, unexpected end of file, expecting ')'`},
		{src: `x: (./a${x}`, want: `1:11: syntax error, unexpected end of file, expecting ')'`},
		{src: `x: x ./a//b`, want: `1:6: syntax error, unexpected end of path, expecting '${'`},
		{src: `x: x ./a//b `, want: `1:10: syntax error, unexpected end of path, expecting '${'`},

		// Lints and pure evaluation.
		{src: `http://x`, opts: Options{LintURLLiterals: LintFatal},
			want: `1:1: URL literals are disallowed. Consider using a string literal "http://x" instead (lint-url-literals)`},
		{src: `/a/b`, opts: Options{LintAbsolutePathLiterals: LintFatal},
			want: `1:1: absolute path literals are not portable. Consider replacing path literal '/a/b' by a string, relative path, or parameter (lint-absolute-path-literals)`},
		{src: `~/a`, opts: Options{LintAbsolutePathLiterals: LintFatal},
			want: `1:1: home path literals are not portable. Consider replacing path literal '~/a' by a string, relative path, or parameter (lint-absolute-path-literals)`},
		{src: `./a`, opts: Options{LintAbsolutePathLiterals: LintFatal, LintShortPathLiterals: LintFatal}},
		{src: `a/b`, opts: Options{LintShortPathLiterals: LintFatal},
			want: `1:1: relative path literal 'a/b' should be prefixed with '.' for clarity: './a/b' (lint-short-path-literals)`},
		{src: `~/a`, opts: Options{PureEval: true}, want: `1:1: the path '~/a' can not be resolved in pure mode`},

		// Depth.
		{src: strings.Repeat("(", 20000) + "1" + strings.Repeat(")", 20000), want: `1:3334: expression nested too deeply`},
		{src: strings.Repeat("[", 20000) + strings.Repeat("]", 20000), want: `1:9999: expression nested too deeply`},
		{src: "1" + strings.Repeat(" + 1", 20000), want: `1:39989: expression nested too deeply`},
		{src: "1" + strings.Repeat(" ++ 1", 20000), want: `1:24996: expression nested too deeply`},
		{src: "{ a" + strings.Repeat(".a", 20000) + " = 1; }", want: `1:3: expression nested too deeply`},
		{src: strings.Repeat("x: ", 20000) + "1", want: `1:30001: expression nested too deeply`},
		{src: "1" + strings.Repeat(" + 1", 1000)},
	}
	for _, tt := range tests {
		_, err := Parse(NewFileSet(), "f", []byte(tt.src), tt.opts)
		got := ""
		if err != nil {
			e := err.(*Error)
			got = fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
		}
		if got != tt.want {
			src := tt.src
			if len(src) > 60 {
				src = src[:60] + "…"
			}
			t.Errorf("%q\n got: %s\nwant: %s", src, got, tt.want)
		}
	}
}

func TestLintWarnings(t *testing.T) {
	var warnings []string
	opts := Options{
		LintURLLiterals:          LintWarn,
		LintAbsolutePathLiterals: LintWarn,
		LintShortPathLiterals:    LintWarn,
		Warn:                     func(e *Error) { warnings = append(warnings, e.Error()) },
	}
	_, err := Parse(NewFileSet(), "f", []byte("[ http://x /a ~/b c/d ./e ]"), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`f:1:3: URL literals are discouraged. Consider using a string literal "http://x" instead (lint-url-literals)`,
		`f:1:12: absolute path literals are not portable. Consider replacing path literal '/a' by a string, relative path, or parameter (lint-absolute-path-literals)`,
		`f:1:15: home path literals are not portable. Consider replacing path literal '~/b' by a string, relative path, or parameter (lint-absolute-path-literals)`,
		`f:1:19: relative path literal 'c/d' should be prefixed with '.' for clarity: './c/d' (lint-short-path-literals)`,
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
}
