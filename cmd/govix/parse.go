package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/govix/govix/eval/syntax"
)

// newParseCmd is a hidden command that runs the parser alone over many
// files in one process, for benchmarks (bench/parse.sh) and debugging.
func newParseCmd() *cobra.Command {
	var print bool
	cmd := &cobra.Command{
		Use:    "parse [--print] FILE...",
		Short:  "Parse Nix files and optionally print them as nix-instantiate --parse does",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Getenv("GOGC") == "" {
				// A batch of parses keeps every tree: collecting less often
				// trades memory for time.
				debug.SetGCPercent(400)
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			home := os.Getenv("HOME")
			cwd, err := os.Getwd()
			if err != nil {
				return err
			}
			fset := syntax.NewFileSet()
			for _, arg := range args {
				name, dir := arg, cwd
				var src []byte
				if arg == "-" {
					name = "«stdin»"
					src, err = io.ReadAll(cmd.InOrStdin())
				} else {
					name, err = filepath.Abs(arg)
					if err == nil {
						dir = filepath.Dir(name)
						src, err = os.ReadFile(name)
					}
				}
				if err != nil {
					return err
				}
				e, err := syntax.Parse(fset, name, src, syntax.Options{})
				if err != nil {
					return err
				}
				if print {
					opts := syntax.PrintOptions{BaseDir: dir, HomeDir: home, FileSet: fset}
					if err := syntax.Print(out, e, opts); err != nil {
						return err
					}
					if err := out.WriteByte('\n'); err != nil {
						return err
					}
				}
			}
			return out.Flush()
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print each expression as nix-instantiate --parse does")
	return cmd
}
