package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// conformanceCorpus is CppNix's language test corpus (see
// ../shared/conformance/README.md).
const conformanceCorpus = "../../../shared/conformance/nix-lang"

// expectedFailuresFile lists, one name a line, the corpus cases govix does
// not pass yet (each with a comment saying why). The list may only shrink:
// a listed case that passes fails the test too.
const expectedFailuresFile = "testdata/nix-lang-expected-failures.txt"

// TestNixLangConformance runs the language corpus through `govix
// instantiate` in-process, scoring each case as run-nix-lang.sh does:
// eval-okay cases must print exactly the expected output, eval-fail cases
// must exit with status 1, parse-okay and parse-fail cases must parse or
// fail to.
func TestNixLangConformance(t *testing.T) {
	src, err := filepath.Abs(conformanceCorpus)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	expected := readExpectedFailures(t)

	// The corpus refers to its files as lang/...: run from a copy's parent.
	work := t.TempDir()
	if err := os.CopyFS(filepath.Join(work, "lang"), os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	t.Setenv("TEST_VAR", "foo")
	t.Setenv("NIX_STORE_DIR", "/nix/store")
	t.Setenv("NIX_PATH", "")
	os.Unsetenv("NIX_PATH")

	names, err := filepath.Glob("lang/*.nix")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var passed, failed []string
	failures := map[string]string{}
	for _, f := range names {
		name := strings.TrimSuffix(filepath.Base(f), ".nix")
		kind := ""
		for _, k := range []string{"eval-okay", "eval-fail", "parse-okay", "parse-fail"} {
			if strings.HasPrefix(name, k+"-") {
				kind = k
			}
		}
		if kind == "" {
			continue
		}
		ok, why := runCase(t, kind, name)
		if kind == "eval-okay" && why == "no expected output" {
			continue
		}
		if ok {
			passed = append(passed, name)
		} else {
			failed = append(failed, name)
			failures[name] = why
		}
	}
	t.Logf("nix-lang corpus: %d passed, %d failed (%d expected failures listed)", len(passed), len(failed), len(expected))
	for _, n := range failed {
		if _, ok := expected[n]; !ok {
			t.Errorf("%s failed unexpectedly: %s", n, failures[n])
		}
	}
	for _, n := range passed {
		if _, ok := expected[n]; ok {
			t.Errorf("%s passes now: remove it from %s", n, expectedFailuresFile)
		}
	}
}

func readExpectedFailures(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(expectedFailuresFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, why, _ := strings.Cut(line, " ")
		out[name] = strings.TrimSpace(why)
	}
	return out
}

// runCase runs one corpus case and reports whether it passed.
func runCase(t *testing.T, kind, name string) (bool, string) {
	file := "lang/" + name + ".nix"
	var args []string
	var stdin []byte
	var want []byte
	switch kind {
	case "parse-okay", "parse-fail":
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		stdin = src
		args = []string{"--parse", "-"}
	case "eval-fail":
		args = []string{"--eval", "--strict", "--show-trace"}
		if fl, err := os.ReadFile("lang/" + name + ".flags"); err == nil {
			args = flagsOf(fl)
		}
		args = append(args, file)
	case "eval-okay":
		if exp, err := os.ReadFile("lang/" + name + ".exp.xml"); err == nil {
			want = exp
			args = []string{"--eval", "--xml", "--no-location", "--strict", file}
		} else if exp, err := os.ReadFile("lang/" + name + ".exp"); err == nil {
			want = exp
			args = []string{"--eval", "--strict"}
			if fl, err := os.ReadFile("lang/" + name + ".flags"); err == nil {
				args = append(args, flagsOf(fl)...)
			}
			args = append(args, file)
		} else {
			return false, "no expected output"
		}
	}
	code, out := runGovix(args, stdin)
	switch kind {
	case "parse-okay":
		return code == 0, "exit status " + strconv.Itoa(code)
	case "parse-fail", "eval-fail":
		return code == 1, "exit status " + strconv.Itoa(code)
	}
	if code != 0 {
		return false, "exit status " + strconv.Itoa(code)
	}
	// The script compares $(...) outputs: trailing newlines do not count.
	if !bytes.Equal(bytes.TrimRight(out, "\n"), bytes.TrimRight(want, "\n")) {
		return false, "output differs: " + string(out)
	}
	return true, ""
}

// flagsOf splits a .flags file as the shell does (after removing comments).
func flagsOf(b []byte) []string {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		out = append(out, strings.Fields(line)...)
	}
	return out
}

// runGovix runs `govix instantiate ARGS` in-process with a timeout and
// returns its exit status and standard output.
func runGovix(args []string, stdin []byte) (int, []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	root := newRootCmd()
	root.SetArgs(append([]string{"instantiate"}, args...))
	root.SetIn(bytes.NewReader(stdin))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0, stdout.Bytes()
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, stdout.Bytes()
	}
	return 1, stdout.Bytes()
}

func TestNextGCLimit(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct{ live, want int64 }{
		{10 * mb, 160 * mb},    // below the floor
		{40 * mb, 296 * mb},    // 8x would be 320: headroom 256 MiB
		{30 * mb, 240 * mb},    // 8x
		{1024 * mb, 2048 * mb}, // large heaps: twice what is alive
	} {
		if got := nextGCLimit(c.live, 160*mb, 8, 256*mb); got != c.want {
			t.Errorf("nextGCLimit(%d MiB) = %d MiB, want %d MiB", c.live/mb, got/mb, c.want/mb)
		}
	}
}
