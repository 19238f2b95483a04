package eval

import "testing"

// Flake references: Nix 2.8 lacks both builtins, so these follow current
// Nix's parser (libflake, libfetchers) and the corpus.
var flakeRefCases = []nixCase{
	{expr: `builtins.parseFlakeRef "github:NixOS/nixpkgs/23.05?dir=lib"`, want: `{ dir = "lib"; owner = "NixOS"; ref = "23.05"; repo = "nixpkgs"; type = "github"; }`},
	{expr: `builtins.flakeRefToString { type = "github"; owner = "NixOS"; repo = "nixpkgs"; ref = "23.05"; dir = "lib"; }`, want: `"github:NixOS/nixpkgs/23.05?dir=lib"`},
	{expr: `builtins.parseFlakeRef "github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567"`, want: `{ owner = "NixOS"; repo = "nixpkgs"; rev = "0123456789abcdef0123456789abcdef01234567"; type = "github"; }`},
	{expr: `builtins.flakeRefToString (builtins.parseFlakeRef "github:NixOS/nixpkgs/release/23.05")`, want: `"github:NixOS/nixpkgs/release%2F23.05"`},
	{expr: `builtins.parseFlakeRef "gitlab:foo/bar?host=gitlab.example.com"`, want: `{ host = "gitlab.example.com"; owner = "foo"; repo = "bar"; type = "gitlab"; }`},
	{expr: `builtins.parseFlakeRef "nixpkgs/nixos-23.05"`, want: `{ id = "nixpkgs"; ref = "nixos-23.05"; type = "indirect"; }`},
	{expr: `builtins.flakeRefToString (builtins.parseFlakeRef "nixpkgs")`, want: `"flake:nixpkgs"`},
	{expr: `builtins.parseFlakeRef "git+https://example.org/my/repo?ref=main&dir=sub&shallow=1"`, want: `{ dir = "sub"; ref = "main"; shallow = true; type = "git"; url = "https://example.org/my/repo"; }`},
	{expr: `builtins.flakeRefToString { type = "git"; url = "https://example.org/my/repo"; ref = "main"; dir = "sub"; }`, want: `"git+https://example.org/my/repo?dir=sub&ref=main"`},
	{expr: `builtins.parseFlakeRef "path:/foo/bar?lastModified=12"`, want: `{ lastModified = 12; path = "/foo/bar"; type = "path"; }`},
	{expr: `builtins.flakeRefToString (builtins.parseFlakeRef "/foo/bar")`, want: `"path:/foo/bar"`},
	{expr: `builtins.parseFlakeRef "https://example.org/x.tar.gz?narHash=sha256-47DEQpj8HBSa%2B/TImW%2B5JCeuQeRkm5NMpJWZG3hSuFU%3D"`, want: `{ narHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; type = "tarball"; url = "https://example.org/x.tar.gz"; }`},
	{expr: `builtins.parseFlakeRef "github:foo"`, err: `flake reference 'github:foo' is not an absolute path`},
	{expr: `builtins.parseFlakeRef "nixpkgs#hello"`, err: `unexpected fragment 'hello' in flake reference 'nixpkgs#hello'`},
	{expr: `builtins.parseFlakeRef "foo:bar"`, err: `input 'foo:bar' is unsupported`},
	{expr: `builtins.flakeRefToString { type = "github"; owner = "NixOS"; repo = -1; }`, err: `negative value given for flake ref attr repo: -1`},
	{expr: `builtins.flakeRefToString { type = "github"; owner = "NixOS"; repo = "nixpkgs"; foo = 1; }`, err: `input attribute 'foo' not supported by scheme 'github'`},
	{expr: `builtins.flakeRefToString { type = "github"; owner = "NixOS"; repo = [ ]; }`, err: `flake reference attribute sets may only contain integers, Booleans, and strings, but attribute 'repo' is a list`},
	{expr: `builtins.flakeRefToString { owner = "NixOS"; }`, err: `'type' attribute to specify input scheme is required but not provided`},

	// break returns its argument (there is no debugger).
	{expr: `break (1 + 2)`, want: `3`},
	{expr: `builtins.break [ 1 ]`, want: `[ 1 ]`},
}

func TestFlakeRefBuiltins(t *testing.T) {
	runNixCases(t, "/", flakeRefCases, Options{IO: &MemIO{}})
}

func TestIsLegalRefName(t *testing.T) {
	for _, s := range []string{"A/b", "AaA/b", "FOO/BAR/BAZ", "HEAD", "refs/tags/1.2.3", "refs/heads/master", "foox", "1337",
		"foo.baz", "foo/bar/baz", "foo./bar", "heads/foo@bar", "heads/fu\303\237", "foo-bar-baz", "branch#", "$1", "foo.locke"} {
		if !isLegalRefName(s) {
			t.Errorf("%q should be legal", s)
		}
	}
	for _, s := range []string{"refs///heads/foo", "heads/foo/", "///heads/foo", ".foo", "./foo", "./foo/bar", "foo/./bar",
		"foo/bar/.", "foo bar", "foo?bar", "foo^bar", "foo~bar", "foo:bar", "foo[bar", ".refs/foo", "refs/heads/foo.",
		"heads/foo..bar", "heads/foo.lock", "heads///foo.lock", "foo.lock/bar", "foo.lock///bar", "heads/v@{ation",
		"heads/foo\bar", "@", "\037", "\177", "foo/*", "*/foo", "foo/*/bar", "*", "foo/*/*"} {
		if isLegalRefName(s) {
			t.Errorf("%q should not be legal", s)
		}
	}
}
