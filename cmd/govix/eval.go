package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/govix/govix/eval"
)

// newEvalCmd is `govix eval`, the friendly form of the evaluator: like
// `nix eval`, it evaluates completely and prints the value the way Nix's
// value printer does (or as JSON, or a string raw).
func newEvalCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "eval [FILE | -E EXPR | -] [-A ATTR] [--json | --raw] [--apply FN]",
		Short: "Evaluate a Nix expression and print its value",
		Long: `Evaluate a Nix expression (a file, -E EXPR, or - for standard input) completely
and print the value as Nix shows it:

  -A, --attr PATH       select an attribute path of the result
  --apply FN            apply the function FN (a Nix expression) to the result
  --json                print the value as JSON
  --raw                 print a string as it is, without quotes or newline
  --arg NAME EXPR, --argstr NAME STRING   arguments for a top-level function
  -I PATH               add to the search path for <...>
  --show-trace          print the full error trace`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if a == "--help" || a == "-h" {
					return cmd.Help()
				}
			}
			return runEval(cmd.Context(), args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

func runEval(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// --apply is ours; the rest are nix-instantiate's flags.
	var apply string
	var rest []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--apply" {
			if i+1 >= len(args) {
				return &exitError{code: 1, msg: "error: flag '--apply' requires 1 argument(s)"}
			}
			apply = args[i+1]
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	o, err := parseInstantiateArgs(rest)
	if err != nil {
		return &exitError{code: 1, msg: "error: " + err.Error() + "\nTry 'govix eval --help' for more information."}
	}
	if len(o.files) > 1 {
		return &exitError{code: 1, msg: "error: govix eval takes one file or expression"}
	}
	tuneGCForBatch()
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	o.evalOpts.Cwd = cwd
	if sd := os.Getenv("NIX_STORE_DIR"); sd != "" {
		o.evalOpts.StoreDir = sd
	}
	o.evalOpts.Stderr = stderr
	o.evalOnly = true // a store, read-only unless --read-write-mode (instantiate_store.go)
	st := newInstantiateStore(o, stderr)
	defer st.close()
	ev := eval.New(o.evalOpts)
	fail := func(err error) error {
		var ee *eval.Error
		if errors.As(err, &ee) {
			return &exitError{code: 1, msg: ee.Format(o.showTrace)}
		}
		return &exitError{code: 1, msg: "error: " + err.Error()}
	}

	var v eval.Value
	switch {
	case o.readStdin:
		src, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		v, err = ev.EvalSource(ctx, "«stdin»", cwd, src)
		if err != nil {
			return fail(err)
		}
	case o.fromArgs:
		if len(o.files) == 0 {
			return &exitError{code: 1, msg: "error: -E needs an expression"}
		}
		v, err = ev.EvalSource(ctx, "«string»", cwd, []byte(o.files[0]))
		if err != nil {
			return fail(err)
		}
	default:
		file := "default.nix"
		if len(o.files) == 1 {
			file = o.files[0]
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(cwd, file)
		}
		v, err = ev.EvalFile(ctx, file)
		if err != nil {
			return fail(err)
		}
	}

	argVals := map[string]eval.Value{}
	for _, a := range o.autoArgs {
		if a.isString {
			argVals[a.name] = eval.Str(a.value)
			continue
		}
		av, err := ev.LazySource("«string»", cwd, []byte(a.value))
		if err != nil {
			return fail(err)
		}
		argVals[a.name] = av
	}
	autoArgs := ev.NewAttrs(argVals)
	attrPath := ""
	if len(o.attrPaths) > 0 {
		attrPath = o.attrPaths[0]
	}
	if v, err = ev.SelectPath(ctx, v, attrPath, autoArgs); err != nil {
		return fail(err)
	}
	if v, err = ev.AutoCall(ctx, v, autoArgs); err != nil {
		return fail(err)
	}
	if apply != "" {
		f, err := ev.EvalSource(ctx, "«string»", cwd, []byte(apply))
		if err != nil {
			return fail(err)
		}
		if v, err = ev.Call(ctx, f, v); err != nil {
			return fail(err)
		}
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	switch {
	case o.json:
		// nix eval --json ends the document with a newline
		// (nix-instantiate --eval --json does not).
		if err = ev.WriteJSON(ctx, out, v, true); err == nil {
			err = out.WriteByte('\n')
		}
	case o.raw:
		// As nix eval --raw: a string (or a set that coerces to one) is
		// printed as it is, nothing else is forced.
		var s string
		s, err = ev.CoerceToStringFor(ctx, v, "while generating the eval command output")
		if err == nil {
			_, err = io.WriteString(out, s)
		}
	default:
		if err = ev.ForceDeep(ctx, v); err == nil {
			var s string
			if s, err = ev.Show(ctx, v); err == nil {
				_, err = fmt.Fprintln(out, strings.TrimRight(s, "\n"))
			}
		}
	}
	if err == nil {
		err = st.flush(ctx)
	}
	if err != nil {
		out.Flush()
		return fail(err)
	}
	return nil
}
