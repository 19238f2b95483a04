package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fileTree makes a directory with files, a subdirectory and symbolic
// links (to a file, a directory, through a directory, and nowhere).
func fileTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "file"), []byte("hello\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "nul"), []byte("a\x00b"), 0o644))
	must(os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "sub", "inner"), []byte("inner"), 0o644))
	must(os.Symlink("file", filepath.Join(dir, "link")))
	must(os.Symlink("sub", filepath.Join(dir, "dirlink")))
	must(os.Symlink("dirlink/inner", filepath.Join(dir, "chain")))
	must(os.Symlink("missing", filepath.Join(dir, "dangling")))
	must(os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "abslink")))
	return dir
}

func fileCases(dir string) []nixCase {
	r := func(s string) string { return strings.ReplaceAll(s, "DIR", dir) }
	return []nixCase{
		{expr: `builtins.readFile ./file`, want: `"hello\n"`},
		{expr: `builtins.readFile ./link`, want: `"hello\n"`},
		{expr: `builtins.readFile ./chain`, want: `"inner"`},
		{expr: `builtins.readFile (toString ./. + "/dirlink/../file")`, want: `"hello\n"`},
		{expr: `builtins.readFile ./abslink/inner`, want: `"inner"`},
		{expr: `builtins.readFile ./missing`, err: r(`path 'DIR/missing' does not exist`)},
		{expr: `builtins.readFile ./nul`, err: r(`the contents of the file 'DIR/nul' cannot be represented as a Nix string`), newer: true},
		{expr: `builtins.readFile "file"`, err: `string 'file' doesn't represent an absolute path`},
		{expr: `builtins.readDir ./.`, want: `{ abslink = "symlink"; chain = "symlink"; dangling = "symlink"; dirlink = "symlink"; file = "regular"; link = "symlink"; nul = "regular"; sub = "directory"; }`},
		{expr: `builtins.readDir ./dirlink`, want: `{ inner = "regular"; }`},
		{expr: `builtins.readDir ./file`, err: r(`'DIR/file' is not a directory`), newer: true},
		{expr: `builtins.readDir ./nowhere`, err: r(`path 'DIR/nowhere' does not exist`), newer: true},
		{expr: `map builtins.readFileType [ ./file ./sub ./link ./dirlink ./dangling ./dirlink/inner ]`,
			want: `[ "regular" "directory" "symlink" "symlink" "symlink" "regular" ]`, newer: true},
		{expr: `builtins.readFileType ./nowhere`, err: r(`path 'DIR/nowhere' does not exist`), newer: true},
		{expr: `map builtins.pathExists [ ./file ./link ./dangling ./nowhere ./dirlink/inner ./sub/../file (toString ./. + "/file") ]`,
			want: `[ true true true false true true true ]`},
		// A trailing slash asks for a directory (current Nix; Nix 2.8
		// dropped it).
		{expr: `map builtins.pathExists [ (toString ./file + "/") (toString ./sub + "/") (toString ./dirlink + "/.") (toString ./link + "/.") ]`, want: `[ false true true false ]`, newer: true},
		{expr: `builtins.pathExists "zorglub"`, err: `string 'zorglub' doesn't represent an absolute path`},
		{expr: `builtins.pathExists [ ]`, err: `cannot coerce a list to a string: [ ]`},
		{expr: `map (a: builtins.hashFile a ./file) [ "md5" "sha1" "sha256" "sha512" ]`,
			want: `[ "b1946ac92492d2347c6235b4d2611184" "f572d396fae9206628714fb2ce00f72e94f2258f" "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629" ]`},
		{expr: `builtins.hashFile "sha3" ./file`, err: `unknown hash algorithm 'sha3'`},
		{expr: `builtins.hashFile "md5" ./missing`, err: r(`path 'DIR/missing' does not exist`)},
		{expr: `[ (builtins.toPath "/a/b/../c/./d/") (builtins.toPath { outPath = "/x//y"; }) ]`, want: `[ "/a/c/d" "/x/y" ]`},
		{expr: `builtins.toPath "foo/bar"`, err: `string 'foo/bar' doesn't represent an absolute path`},
		{expr: `[ (builtins.placeholder "out") (builtins.placeholder "dev") ]`,
			want: `[ "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9" "/02qcpld1y6xhs5gz9bchpxaw0xdhmsp5dv88lh25r2ss44kh8dxz" ]`},
		{expr: `builtins.placeholder [ ]`, err: `expected a string but found a list: [ ]`},
	}
}

func TestFileBuiltins(t *testing.T) {
	dir := fileTree(t)
	runNixCases(t, dir, fileCases(dir), Options{})
}

func TestFileBuiltinsMatchNix(t *testing.T) {
	dir := fileTree(t)
	checkNixCases(t, dir, fileCases(dir))
}
