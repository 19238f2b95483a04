// Command govix is one binary for the whole of govix: a Nix evaluator, a
// content-addressed store and a builder. Each subcommand lives in its own
// file; this package holds flags and output only, the work is done by the
// library packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit status. It is
// separate from main so that tests can run the binary in-process.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(os.Stderr, "error: %v\n", err)
	return 1
}

// exitError ends the program with a given status. Commands that must mimic
// another tool's exit codes (nix-instantiate, nix-hash) return one; msg is
// printed as-is to stderr when non-empty.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d: %s", e.code, e.msg) }
