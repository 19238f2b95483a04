package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the govix command inside scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"govix": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScripts runs the command-line scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("GOVIX_HOME", env.WorkDir+"/.govix")
			return nil
		},
		RequireExplicitExec: true,
	})
}
