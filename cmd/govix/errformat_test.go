package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// errFormatMatchesFile lists the corpus cases whose error output is
// identical to Nix's (their .err.exp, after the same substitutions as
// upstream's lang.sh). A listed case that stops matching fails
// TestErrorFormat; a case that starts matching is reported, to be added.
const errFormatMatchesFile = "testdata/nix-lang-error-format-matches.txt"

// TestErrorFormat compares the messages `govix instantiate` prints for
// the corpus's eval-fail and parse-fail cases with the ones current Nix
// prints (NAME.err.exp), byte for byte after replacing the working
// directory with /pwd, as upstream's lang.sh does. It reports how many
// match; set GOVIX_ERRFORMAT_DIFF=1 to see the differences.
func TestErrorFormat(t *testing.T) {
	src, err := filepath.Abs(conformanceCorpus)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	want := map[string]bool{}
	if b, err := os.ReadFile(errFormatMatchesFile); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				want[l] = true
			}
		}
	}
	work := t.TempDir()
	if err := os.CopyFS(filepath.Join(work, "lang"), os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	t.Setenv("TEST_VAR", "foo")
	t.Setenv("NIX_STORE_DIR", "/nix/store")
	os.Unsetenv("NIX_PATH")
	pwd, _ := os.Getwd()

	names, _ := filepath.Glob("lang/*-fail-*.err.exp")
	sort.Strings(names)
	var matched, differ []string
	showDiff := os.Getenv("GOVIX_ERRFORMAT_DIFF") != ""
	for _, f := range names {
		name := strings.TrimSuffix(filepath.Base(f), ".err.exp")
		var args []string
		var stdin []byte
		switch {
		case strings.HasPrefix(name, "parse-fail-"):
			b, err := os.ReadFile("lang/" + name + ".nix")
			if err != nil {
				continue
			}
			stdin, args = b, []string{"--parse", "-"}
		case strings.HasPrefix(name, "eval-fail-"):
			args = []string{"--eval", "--strict", "--show-trace"}
			if fl, err := os.ReadFile("lang/" + name + ".flags"); err == nil {
				// Upstream's tests set show-trace in nix.conf, so it is
				// on unless the flags turn it off.
				args = append([]string{"--show-trace"}, flagsOf(fl)...)
			}
			args = append(args, "lang/"+name+".nix")
		default:
			continue
		}
		got := strings.ReplaceAll(runGovixStderr(args, stdin), pwd, "/pwd")
		if _, err := os.Stat("lang/" + name + ".postprocess"); err == nil {
			got = postprocessNumbers(got)
		}
		exp, _ := os.ReadFile(f)
		if got == string(exp) {
			matched = append(matched, name)
			if !want[name] {
				t.Logf("%s matches now: add it to %s", name, errFormatMatchesFile)
			}
			continue
		}
		differ = append(differ, name)
		if want[name] {
			t.Errorf("%s no longer prints Nix's message:\n%s\nwant:\n%s", name, got, exp)
		} else if showDiff {
			t.Logf("%s:\n%s\nwant:\n%s", name, got, exp)
		}
	}
	t.Logf("error messages identical to Nix's: %d of %d (%d differ)", len(matched), len(matched)+len(differ), len(differ))
}

// postprocessNumbers is eval-fail-derivation-name.postprocess: line
// numbers of Nix's internal files are hidden.
func postprocessNumbers(s string) string {
	s = regexp.MustCompile(`[0-9 ][0-9 ][0-9 ][0-9 ][0-9 ][0-9 ][0-9 ][0-9]([^0-9])`).ReplaceAllString(s, "<number>$1")
	return regexp.MustCompile(`[0-9][0-9]*`).ReplaceAllString(s, "<number>")
}

// runGovixStderr runs `govix instantiate ARGS` in-process and returns
// what it prints on standard error, the final error message included.
func runGovixStderr(args []string, stdin []byte) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	root := newRootCmd()
	root.SetArgs(append([]string{"instantiate"}, args...))
	root.SetIn(bytes.NewReader(stdin))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(ctx)
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			stderr.WriteString(ee.msg + "\n")
		}
	} else if err != nil {
		stderr.WriteString("error: " + err.Error() + "\n")
	}
	return stderr.String()
}
