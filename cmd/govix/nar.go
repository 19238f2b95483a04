package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/govix/govix/nixcompat/nar"
)

// newNarCmd is the `govix nar` group: like `nix nar`.
func newNarCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nar",
		Short: "Create and inspect Nix archives (NARs)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newNarDumpCmd(), newNarLsCmd(), newNarCatCmd())
	return cmd
}

func newNarDumpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "dump PATH",
		Short: "Write the NAR serialisation of a path to standard output (like nix-store --dump)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return nar.DumpPath(cmd.Context(), cmd.OutOrStdout(), args[0])
		},
	}
}

// narPath turns a path inside an archive as given on the command line
// ("/", "/a/b", "a/b" or "") into the archive's form.
func narPath(p string) string {
	p = "/" + strings.TrimPrefix(p, "/")
	return p
}

func newNarLsCmd() *cobra.Command {
	var recursive, long, directory, asJSON bool
	cmd := &cobra.Command{
		Use:   "ls [-R] [-l] [-d] [--json] NARFILE [PATH]",
		Short: "List a path inside a NAR file (like nix nar ls)",
		Long: `List the entries of a directory (or show a file) at PATH inside a NAR file,
"/" by default, in the format of nix nar ls. --json prints the .ls listing
form, with file sizes and offsets into the archive.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := "/"
			if len(args) == 2 {
				p = narPath(args[1])
			}
			if asJSON && directory {
				return errors.New("'--directory' is useless with '--json'")
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			l, err := nar.List(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			n, err := l.Root.Lookup(p)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("path '%s' does not exist in %s", p, args[0])
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				_, err := fmt.Fprintf(out, "%s\n", n.JSON(recursive))
				return err
			}
			ls := narLister{w: out, recursive: recursive, long: long}
			rel := "."
			if n.Type != nar.TypeDirectory {
				rel = p[strings.LastIndexByte(p, '/')+1:]
			}
			if n.Type == nar.TypeDirectory && !directory {
				ls.entries(n, rel)
			} else {
				ls.show(n, rel)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&recursive, "recursive", "R", false, "list subdirectories recursively")
	fl.BoolVarP(&long, "long", "l", false, "show type, size and link targets")
	fl.BoolVarP(&directory, "directory", "d", false, "show directories rather than their contents")
	fl.BoolVar(&asJSON, "json", false, "print the listing as JSON")
	return cmd
}

// narLister prints listings as nix nar ls does.
type narLister struct {
	w               io.Writer
	recursive, long bool
}

func (l *narLister) entries(n *nar.Node, rel string) {
	for _, e := range n.Entries {
		l.show(e.Node, rel+"/"+e.Name)
	}
}

func (l *narLister) show(n *nar.Node, rel string) {
	if l.long {
		var mode string
		switch {
		case n.Type == nar.TypeRegular && n.Executable:
			mode = "-r-xr-xr-x"
		case n.Type == nar.TypeRegular:
			mode = "-r--r--r--"
		case n.Type == nar.TypeSymlink:
			mode = "lrwxrwxrwx"
		default:
			mode = "dr-xr-xr-x"
		}
		line := fmt.Sprintf("%s %20d %s", mode, n.Size, rel)
		if n.Type == nar.TypeSymlink {
			line += " -> " + n.Target
		}
		fmt.Fprintln(l.w, line)
	} else {
		fmt.Fprintln(l.w, rel)
	}
	if l.recursive && n.Type == nar.TypeDirectory {
		l.entries(n, rel)
	}
}

func newNarCatCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cat NARFILE PATH",
		Short: "Print the contents of a file inside a NAR file (like nix nar cat)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p := narPath(args[1])
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			r := nar.NewReader(f)
			h, err := r.Find(p)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("path '%s' does not exist in %s", p, args[0])
			}
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if h.Type != nar.TypeRegular {
				return fmt.Errorf("path '%s' is not a regular file", p)
			}
			_, err = io.Copy(cmd.OutOrStdout(), r)
			return err
		},
	}
}
