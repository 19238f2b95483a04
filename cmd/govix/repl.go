package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/eval/repl"
)

// newReplCmd is `govix repl`, the interactive evaluator (as `nix repl`).
func newReplCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "repl [FILE...] [--arg NAME EXPR] [--argstr NAME STRING] [-I PATH] [--show-trace]",
		Short: "Evaluate Nix expressions interactively",
		Long: `Start an interactive environment for evaluating Nix expressions, as nix repl.
The attributes of each FILE (called with the --arg/--argstr arguments if it is
a function) are in scope. Type :? for the commands.

Line editing has Emacs keys, Tab completes variables, attribute paths
(pkgs.li<TAB>) and file names, and history is kept in
$GOVIX_HOME/repl-history. Input that is not finished (an open brace, a
trailing operator) continues on the next line; Ctrl-C interrupts an
evaluation, Ctrl-D or :q leaves.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if a == "--help" || a == "-h" {
					return cmd.Help()
				}
			}
			o, err := parseInstantiateArgs(args)
			if err != nil {
				return &exitError{code: 1, msg: "error: " + err.Error() + "\nTry 'govix repl --help' for more information."}
			}
			return runRepl(cmd.Context(), o, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

func runRepl(ctx context.Context, o *instantiateOpts, stdin io.Reader, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// Ctrl-C interrupts one evaluation, not the REPL.
	ctx = context.WithoutCancel(ctx)
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	o.evalOpts.Cwd = cwd
	if sd := os.Getenv("NIX_STORE_DIR"); sd != "" {
		o.evalOpts.StoreDir = sd
	}
	o.evalOpts.Stderr = stderr
	o.evalOnly = true
	st := newInstantiateStore(o, stderr) // read-only: derivations get their paths
	defer st.close()

	inFile, _ := stdin.(*os.File)
	outFile, _ := stdout.(*os.File)
	interactive := inFile != nil && repl.IsTerminal(inFile)
	color := outFile != nil && repl.IsTerminal(outFile) && os.Getenv("NO_COLOR") == ""

	var autoArgs []repl.AutoArg
	for _, a := range o.autoArgs {
		autoArgs = append(autoArgs, repl.AutoArg{Name: a.name, Expr: a.value, IsString: a.isString})
	}
	s := repl.New(repl.Options{
		NewEvaluator: func() *eval.Evaluator { return eval.New(o.evalOpts) },
		Dir:          cwd,
		AutoArgs:     autoArgs,
		Stdout:       stdout,
		Stderr:       stderr,
		Color:        color,
		ShowTrace:    o.showTrace,
	})
	fmt.Fprintf(stderr, "Welcome to govix, the Nix %s language. Type :? for help.\n\n", nixLanguageVersion)
	s.LoadFiles(ctx, o.files)
	if len(o.files) > 0 {
		fmt.Fprintln(stderr)
	}

	var r repl.LineReader
	if interactive {
		history := ""
		if home, err := govixHome(); err == nil {
			if err := os.MkdirAll(home, 0o755); err == nil {
				history = filepath.Join(home, "repl-history")
			}
		}
		t, err := repl.NewTerminal(s, repl.TerminalOptions{In: inFile, Out: stdout, HistoryFile: history})
		if err != nil {
			return err
		}
		defer t.Close()
		r = t
	} else {
		r = repl.NewPlainReader(stdin, stdout)
	}
	return s.Loop(ctx, r)
}
