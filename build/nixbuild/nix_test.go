package nixbuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store/backend"
)

// TestBuildDirAsNix has nix-build copy what Nix puts into a build
// directory (.attrs.json and .attrs.sh of structured attributes with
// awkward values, passAsFile's files) and the builder's environment into
// its output, and compares each with what Prepare's request holds.
func TestBuildDirAsNix(t *testing.T) {
	testutil.RequireNix(t)
	bb := testutil.RequireCommand(t, "busybox")
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("nix-build with the sandbox needs root under CI")
		}
		t.Skip("nix-build with the sandbox needs root")
	}
	ctx := context.Background()
	dir := t.TempDir()
	nixStore := filepath.Join(dir, "s")
	// The values go through Nix's toJSON, nlohmann's parser and dump.
	structured := `derivation {
		name = "attrs"; system = "x86_64-linux"; builder = "/bin/sh"; __structuredAttrs = true;
		outputs = [ "out" "dev" ];
		args = [ "-c" "mkdir $(echo ${builtins.placeholder "out"}) ${builtins.placeholder "dev"}; cp .attrs.json .attrs.sh ${builtins.placeholder "out"}/; env | sort > ${builtins.placeholder "out"}/env" ];
		floats = [ 0.1 2.5 1.0e14 1.0e15 1.5e-7 0.0001 0.00001 123456789.123 (-0.5) 3.0 ];
		ints = [ 0 (-1) 2147483648 12345678901 9223372036854775807 ];
		text = "quote \" backslash \\ tab \t newline \n bell \u0007 é 😀 'single'";
		nested = { b = [ { c = null; } ]; a = true; };
		empty = { }; emptyList = [ ];
		"with space" = 1; _under = "x"; "9lead" = 2;
		flag = false; nothing = null;
		placeholderRef = "${builtins.placeholder "dev"}/lib";
	}`
	passAsFile := `derivation {
		name = "passfile"; system = "x86_64-linux"; builder = "/bin/sh";
		passAsFile = [ "one" "two" ];
		one = "first\nfile ${builtins.placeholder "out"}"; two = ""; three = "in the environment";
		args = [ "-c" "mkdir $out; cp $onePath $out/one; cp $twoPath $out/two; env | sort > $out/env" ];
	}`
	for _, tt := range []struct {
		name, expr string
		files      []string
	}{
		{"structured", structured, []string{".attrs.json", ".attrs.sh"}},
		{"passAsFile", passAsFile, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := func(name string, args ...string) string {
				args = append([]string{"--store", nixStore, "--option", "substituters", ""}, args...)
				out, err := exec.Command(name, args...).Output()
				if err != nil {
					var stderr string
					if ee, ok := err.(*exec.ExitError); ok {
						stderr = string(ee.Stderr)
					}
					t.Fatalf("%s: %v\n%s", name, err, stderr)
				}
				return strings.TrimSpace(string(out))
			}
			drvPath := run("nix-instantiate", "-E", tt.expr)
			outPath := run("nix-build", "-E", tt.expr, "--no-out-link", "--option", "sandbox", "true",
				"--option", "build-users-group", "", "--option", "sandbox-paths", "/bin/sh="+bb)
			data, err := os.ReadFile(filepath.Join(nixStore, drvPath))
			if err != nil {
				t.Fatal(err)
			}
			drv, err := derivation.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			sp, _ := storepath.DefaultStoreDir.Parse(drvPath)
			st, err := backend.Open(ctx, "memory://")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			b, err := Prepare(ctx, st.PathInfo, sp, drv, nil, &Config{BinSh: true, NoKVM: true})
			if err != nil {
				t.Fatal(err)
			}
			ours := map[string]string{}
			for _, f := range b.Request.AdditionalFiles {
				ours[strings.TrimPrefix(f.Path, "build/")] = string(f.Contents)
			}
			outDir := filepath.Join(nixStore, outPath)
			files := tt.files
			if files == nil {
				// passAsFile's names are hashes: find them in the env.
				for _, e := range b.Request.Env {
					if strings.HasSuffix(e.Key, "Path") {
						name := strings.TrimSuffix(e.Key, "Path")
						os.Rename(filepath.Join(outDir, name), filepath.Join(outDir, filepath.Base(e.Value)))
						files = append(files, filepath.Base(e.Value))
					}
				}
				if len(files) != 2 {
					t.Fatalf("passAsFile gave %d files", len(files))
				}
			}
			for _, name := range files {
				nix, err := os.ReadFile(filepath.Join(outDir, name))
				if err != nil {
					t.Fatal(err)
				}
				if ours[name] != string(nix) {
					t.Errorf("%s differs\n nix:   %q\n govix: %q", name, nix, ours[name])
				}
			}
			// The environment, less what the shell adds. (NIX_ATTRS_*
			// name Nix 2.8's host build directory, from TMPDIR, the same
			// for both.)
			nixEnv, err := os.ReadFile(filepath.Join(outDir, "env"))
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, l := range strings.Split(strings.TrimSpace(string(nixEnv)), "\n") {
				if !strings.HasPrefix(l, "SHLVL=") && !strings.HasPrefix(l, "OLDPWD=") {
					want = append(want, l)
				}
			}
			for _, e := range b.Request.Env {
				got = append(got, fmt.Sprintf("%s=%s", e.Key, e.Value))
			}
			// env prints multi-line values over several lines.
			if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
				t.Errorf("environment differs\n nix:\n%s\n govix:\n%s", w, g)
			}
		})
	}
}
