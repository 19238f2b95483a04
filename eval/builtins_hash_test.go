package eval

import (
	"strings"
	"testing"
)

var hashCases = []nixCase{
	{expr: `map (a: builtins.hashString a "text 1") [ "md5" "sha1" "sha256" "sha512" ]`,
		want: `[ "6c69ee7f211c640419d5366cc076ae46" "cd54e8568c1b37cf1e5badb0779bcbf382212189" "900a4469df00ccbfd0c145c6d1e4b7953dd0afafadd7534e3a4019e8d38fc663" "9d0886f8c6b389398a16257bc79780fab9831c7fc11c8ab07fa732cb7b348feade382f92617c9c5305fefba0af02ab5fd39a587d330997ff5bd0db19f7666653" ]`},
	{expr: `builtins.hashString "sha256" ""`, want: `"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`},
	{expr: `builtins.hashString "sha256" ` + withCtx, want: `"c1a8dddd75fd4e0cdccdaafa502ce45d8cf38b0b47610979e77f01989e36ca41"`},
	{expr: `builtins.hashString 1 { }`, err: `expected a string but found an integer: 1`},
	{expr: `builtins.hashString "foo" "content"`, err: `unknown hash algorithm 'foo', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`},
	{expr: `builtins.hashString "SHA256" "x"`, err: `unknown hash algorithm 'SHA256', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`},
	{expr: `builtins.hashString "blake3" "x"`, err: `experimental Nix feature 'blake3-hashes' is disabled; add '--extra-experimental-features blake3-hashes' to enable it`},
	{expr: `builtins.hashString "sha256" { }`, err: `expected a string but found a set: { }`},

	// convertHash (newer than Nix 2.8: current Nix's documentation and
	// the corpus decide).
	{expr: `builtins.convertHash { hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; hashAlgo = "sha256"; toHashFormat = "sri"; }`,
		want: `"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="`, newer: true},
	{expr: `builtins.convertHash { hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; toHashFormat = "base16"; }`,
		want: `"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`, newer: true},
	{expr: `builtins.convertHash { hash = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; toHashFormat = "nix32"; }`,
		want: `"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"`, newer: true},
	{expr: `builtins.convertHash { hash = "1B2M2Y8AsgTpgAmY7PhCfg=="; hashAlgo = "md5"; toHashFormat = "base16"; }`,
		want: `"d41d8cd98f00b204e9800998ecf8427e"`, newer: true},
	{expr: `builtins.convertHash { hash = "md5:3y8bwfr609h3lh9ch0izcqq7fl"; toHashFormat = "base64"; }`,
		want: `"1B2M2Y8AsgTpgAmY7PhCfg=="`, newer: true},
	{expr: `builtins.convertHash { hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; toHashFormat = "sri"; }`,
		err: `hash 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' does not include a type, nor is the type otherwise known from context`, newer: true},
	{expr: `builtins.convertHash { hash = "sha1:abc"; toHashFormat = "sri"; }`,
		err: `hash 'abc' has wrong length for hash type 'sha1'`, newer: true},
	{expr: `builtins.convertHash { hash = "sha256:x"; hashAlgo = "sha1"; toHashFormat = "sri"; }`,
		err: `hash 'sha256:x' should have type 'sha1'`, newer: true},
	{expr: `builtins.convertHash { hash = "x"; toHashFormat = "hex"; }`,
		err: `unknown hash format 'hex', expect 'base16', 'base32', 'base64', or 'sri'`, newer: true},
	{expr: `builtins.convertHash { hash = "x"; hashAlgo = "sha3"; toHashFormat = "sri"; }`,
		err: `unknown hash algorithm 'sha3', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`, newer: true},
	{expr: `builtins.convertHash { toHashFormat = "sri"; }`, err: `attribute 'hash' missing`, newer: true},
	{expr: `builtins.convertHash { hash = "x"; }`, err: `attribute 'toHashFormat' missing`, newer: true},
	{expr: `builtins.convertHash 1`, err: `expected a set but found an integer: 1`, newer: true},
	{expr: `builtins.convertHash { hash = 1; toHashFormat = "sri"; }`, err: `expected a string but found an integer: 1`, newer: true},
}

func TestHashBuiltins(t *testing.T) {
	runNixCases(t, "/dir", hashCases, Options{IO: &MemIO{}})
}

func TestHashBuiltinsMatchNix(t *testing.T) {
	checkNixCasesConcurrently(t, "/dir", hashCases)
}

// The deprecated "base32" format name warns, as current Nix does.
func TestConvertHashBase32Warns(t *testing.T) {
	var stderr strings.Builder
	ev := New(Options{IO: &MemIO{}, Stderr: &stderr})
	got, err := evalIn(ev, "/", `builtins.convertHash { hash = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; toHashFormat = "base32"; }`)
	if err != nil || got != `"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"` {
		t.Errorf("got %s, %v", got, err)
	}
	if want := "warning: \"base32\" is a deprecated alias for hash format \"nix32\".\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

func TestHashStringBlake3(t *testing.T) {
	ev := New(Options{IO: &MemIO{}, ExperimentalFeatures: []string{"blake3-hashes"}})
	got, err := evalIn(ev, "/", `builtins.hashString "blake3" "abc"`)
	// BLAKE3's test vector for "abc".
	if want := `"6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"`; err != nil || got != want {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
}
