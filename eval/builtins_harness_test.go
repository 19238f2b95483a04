package eval

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// nixCase is an expression and what `nix-instantiate --eval --strict`
// prints for it, or, for an expression that fails, the error message
// (current Nix's wording, which govix follows; Nix 2.8 words many
// differently, so for those the Nix check only requires a failure).
type nixCase struct {
	expr string
	want string // the printed value
	err  string // the error message, if the expression fails
	// newer marks behaviour that Nix 2.8 lacks or gets differently
	// (builtins added later, bugs fixed later): current Nix's
	// documentation and the corpus decide, and the Nix 2.8 check skips it.
	newer bool
}

// runNixCases evaluates the cases with govix, with the real file system
// and dir as the directory of the expressions.
func runNixCases(t *testing.T, dir string, cases []nixCase, opts Options) {
	t.Helper()
	for _, c := range cases {
		ev := New(opts)
		got, err := evalIn(ev, dir, c.expr)
		if c.err != "" {
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%s: got %q, %v; want error %q", c.expr, got, err, c.err)
				continue
			}
			if e.Msg != c.err {
				t.Errorf("%s:\n got error %q\nwant error %q", c.expr, e.Msg, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.expr, got, c.want)
		}
	}
}

func evalIn(ev *Evaluator, dir, src string) (string, error) {
	v, err := ev.EvalSource(context.Background(), "«string»", dir, []byte(src))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := ev.WriteValue(context.Background(), &b, v, true); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// checkNixCases checks the cases' expectations against Nix 2.8, run in
// dir with the extra flags.
func checkNixCases(t *testing.T, dir string, cases []nixCase, flags ...string) {
	t.Helper()
	testutil.RequireNix(t)
	for _, c := range cases {
		if c.newer {
			continue
		}
		args := append([]string{"--eval", "--strict"}, flags...)
		args = append(args, "-E", c.expr)
		cmd := exec.Command("nix-instantiate", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NIX_PATH=")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if c.err != "" {
			if err == nil {
				t.Errorf("%s: Nix 2.8 prints %s, the test wants error %q", c.expr, out, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Nix 2.8 fails: %v\n%s", c.expr, err, stderr.String())
			continue
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != c.want {
			t.Errorf("%s:\nNix 2.8 prints %s\n the test wants %s", c.expr, got, c.want)
		}
	}
}

// runNix returns what `nix-instantiate --eval --strict -E expr` writes
// to standard error, then to standard output (it must succeed).
func runNix(t *testing.T, expr string, flags ...string) string {
	t.Helper()
	testutil.RequireNix(t)
	args := append([]string{"--eval", "--strict"}, flags...)
	cmd := exec.Command("nix-instantiate", append(args, "-E", expr)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate -E %s: %v\n%s", expr, err, stderr.String())
	}
	return stderr.String() + string(out)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
