package eval

import (
	"fmt"
	"strings"
	"testing"
)

var versionCases = []nixCase{
	{expr: `builtins.splitVersion "1.2.3"`, want: `[ "1" "2" "3" ]`},
	{expr: `builtins.splitVersion "2.3pre12-rc.1"`, want: `[ "2" "3" "pre" "12" "rc" "1" ]`},
	{expr: `builtins.splitVersion "..-a--b..1"`, want: `[ "a" "b" "1" ]`},
	{expr: `builtins.splitVersion ""`, want: `[ ]`},
	{expr: `builtins.splitVersion "1.2.3-unstable-2024-01-05"`, want: `[ "1" "2" "3" "unstable" "2024" "01" "05" ]`},
	{expr: `builtins.splitVersion "éa1"`, want: `[ "éa" "1" ]`},
	{expr: `builtins.splitVersion 1`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.splitVersion ` + withCtx, err: `the string '` + ctxPath + `' is not allowed to refer to a store path (such as '` + ctxPath + `')`},

	{expr: `builtins.parseDrvName "hello-1.0.2"`, want: `{ name = "hello"; version = "1.0.2"; }`},
	{expr: `builtins.parseDrvName "hello"`, want: `{ name = "hello"; version = ""; }`},
	{expr: `builtins.parseDrvName "xf86-video-i810-1.7.4"`, want: `{ name = "xf86-video-i810"; version = "1.7.4"; }`},
	{expr: `builtins.parseDrvName "name-that-ends-with-dash--1.0"`, want: `{ name = "name-that-ends-with-dash"; version = "-1.0"; }`},
	{expr: `builtins.parseDrvName "a-"`, want: `{ name = "a-"; version = ""; }`},
	{expr: `builtins.parseDrvName "-1"`, want: `{ name = ""; version = "1"; }`},
	{expr: `builtins.parseDrvName "nix-0.12pre12876"`, want: `{ name = "nix"; version = "0.12pre12876"; }`},
	{expr: `builtins.parseDrvName "foo-é1"`, want: `{ name = "foo"; version = "é1"; }`},
	{expr: `builtins.parseDrvName 1`, err: `expected a string but found an integer: 1`},

	{expr: `builtins.compareVersions 1 { }`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.compareVersions "abd" { }`, err: `expected a string but found a set: { }`},
}

// versionPairs are compared both ways with compareVersions.
var versionPairs = [][2]string{
	{"1.0", "2.3"}, {"2.1", "2.3"}, {"2.3", "2.3"}, {"2.5", "2.3"}, {"3.1", "2.3"},
	{"2.3.1", "2.3"}, {"2.3.1", "2.3a"}, {"2.3pre1", "2.3"}, {"2.3pre3", "2.3pre12"},
	{"2.3a", "2.3c"}, {"2.3pre1", "2.3c"}, {"2.3pre1", "2.3q"}, {"1.0", "1.0.0"},
	{"1.01", "1.1"}, {"1.99999999999", "1.2"}, {"1.2147483647", "1.2147483648"},
	{"1.2147483648", "1.2147483649"}, {"1a", "1.0"}, {"", "0"}, {"", ""}, {"pre", ""},
	{"1-pre", "1"}, {"alpha", "beta"}, {"1.2-rc1", "1.2"}, {"1.2.x", "1.2.1"},
	{"2024-01-05", "2023-12-31"}, {"0.9.0", "0.10.0"}, {"1..2", "1.2"}, {"a", ""},
}

func versionPairCases() []nixCase {
	cases := append([]nixCase(nil), versionCases...)
	var exprs, wants []string
	for _, p := range versionPairs {
		exprs = append(exprs, fmt.Sprintf("(builtins.compareVersions %q %q) (builtins.compareVersions %q %q)", p[0], p[1], p[1], p[0]))
		a := compareVersions(p[0], p[1])
		b := compareVersions(p[1], p[0])
		wants = append(wants, fmt.Sprint(a), fmt.Sprint(b))
	}
	return append(cases, nixCase{
		expr: "[ " + strings.Join(exprs, " ") + " ]",
		want: "[ " + strings.Join(wants, " ") + " ]",
	})
}

func TestVersionBuiltins(t *testing.T) {
	runNixCases(t, "/dir", versionCases, Options{IO: &MemIO{}})
}

func TestVersionBuiltinsMatchNix(t *testing.T) {
	checkNixCasesConcurrently(t, "/dir", versionPairCases())
}

func BenchmarkCompareVersions(b *testing.B) {
	pairs := [][2]string{{"1.2.3", "1.2.4"}, {"2.3pre12-rc1", "2.3pre12"}, {"0.9.0-unstable-2024-01-05", "0.9.0"}}
	for b.Loop() {
		for _, p := range pairs {
			compareVersions(p[0], p[1])
		}
	}
}
