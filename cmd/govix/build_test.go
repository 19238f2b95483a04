package main

import (
	"os"
	"slices"
	"testing"

	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/storepath"
)

// TestBuildScriptsRun: the build scripts (testdata/script/build*.txtar)
// skip without runc, busybox, Nix or root, which testscript cannot tell
// from CI; under CI=true this test fails instead when one is missing.
func TestBuildScriptsRun(t *testing.T) {
	for _, c := range []string{"runc", "busybox", "nix-build", "fusermount3", "script"} {
		testutil.RequireCommand(t, c)
	}
	testutil.RequireNix(t)
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("the build scripts need root under CI")
		}
		t.Skip("the build scripts need root")
	}
}

func TestResultLinkNames(t *testing.T) {
	p := func(s string) storepath.StorePath {
		sp, err := storepath.DefaultStoreDir.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	a := p("/nix/store/4ipzs1iwjgn11sbvqyvvis2ps76zkpkz-a.drv")
	b := p("/nix/store/8wbxll93kgi0vnszq5jfnygbfa821hyr-b.drv")
	for _, tc := range []struct {
		name    string
		prefix  string
		targets []buildTarget
		want    []string
	}{
		{"one", "result", []buildTarget{{a, "out"}}, []string{"result"}},
		{"two derivations", "result", []buildTarget{{a, "out"}, {b, "out"}}, []string{"result", "result-2"}},
		// As nix-build -E 'with import ./m.nix; [a.dev a b a.lib]' -o foo
		// named them: a number per derivation in order of appearance, the
		// output after it.
		{"outputs", "foo", []buildTarget{{a, "dev"}, {a, "out"}, {b, "out"}, {a, "lib"}},
			[]string{"foo-dev", "foo", "foo-2", "foo-lib"}},
		{"path", "dir/out", []buildTarget{{b, "doc"}, {a, "out"}}, []string{"dir/out-doc", "dir/out-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resultLinkNames(tc.prefix, tc.targets); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseBuildArgsOutLink(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "result"},
		{[]string{"--no-out-link"}, ""},
		{[]string{"--no-link"}, ""},
		{[]string{"-o", "x"}, "x"},
		{[]string{"--out-link", "x", "--no-out-link"}, ""},
		{[]string{"--no-out-link", "-o", "y"}, "y"},
		{[]string{"--add-root", "z"}, "result"},
	} {
		o, err := parseBuildArgs(append(tc.args, "f.nix"))
		if err != nil {
			t.Fatal(err)
		}
		if o.outLink != tc.want {
			t.Errorf("%q: out link %q, want %q", tc.args, o.outLink, tc.want)
		}
	}
	if _, err := parseBuildArgs([]string{"-o"}); err == nil {
		t.Error("-o without a name was accepted")
	}
}
