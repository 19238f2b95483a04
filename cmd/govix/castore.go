package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/fsio"
)

// statCacheName is the local store's KV map in which imports remember the
// files they stored, so that importing an unchanged tree again does not
// read it (see fsio.StatCache).
const statCacheName = "fsio/statcache"

// newCastoreCmd is the `govix castore` group: the content-addressed store of
// files and directories underneath the Nix store.
func newCastoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "castore",
		Short: "Work with the content-addressed store of files and directories",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCastoreImportCmd(), newCastoreExportCmd(), newCastoreServeCmd(), newCastoreMountCmd())
	return cmd
}

func newCastoreImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH",
		Short: "Store a directory tree or file and print its digest",
		Long: `Store the directory tree or file at PATH in the castore and print the
digest of its root as b3:BASE64 (standard, padded base64), as Tvix prints
digests: for a directory the BLAKE3 digest of its Directory message, for a
file the BLAKE3 digest of its contents.

Only regular files, directories and symlinks can be stored; sockets,
devices and FIFOs are refused. A progress line is shown when stderr is a
terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			fi, err := os.Lstat(args[0])
			if err != nil {
				return err
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				return fmt.Errorf("castore import: %s is a symlink, which has no digest; import the directory holding it", args[0])
			}
			s, ls, err := openCastoreLocal(cmd)
			if err != nil {
				return err
			}
			defer closeStore(s, &err)
			opts := &fsio.Options{}
			if ls == nil {
				// A remote store: the stat cache (which file has which
				// digest, whatever store holds it) lives in the default
				// store, so that re-importing asks the remote store
				// whether it has a blob instead of sending it.
				if ls, err = openDefaultLocal(cmd); err == nil {
					defer ls.Close()
				}
			}
			if ls != nil {
				if opts.StatCache, err = ls.KV(statCacheName); err != nil {
					return err
				}
			}
			opts.Progress = &fsio.Progress{}
			stop := showProgress(cmd.ErrOrStderr(), "importing", opts.Progress)
			root, err := fsio.Import(cmd.Context(), s, args[0], opts)
			stop()
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), root.Digest)
			return nil
		},
	}
}

func newCastoreExportCmd() *cobra.Command {
	var executable bool
	var jobs int
	cmd := &cobra.Command{
		Use:   "export DIGEST PATH",
		Short: "Write the directory tree or file with DIGEST to PATH",
		Long: `Write the directory or blob named by DIGEST (b3:BASE64 as import prints
it, or hexadecimal) to PATH, which must not exist. The tree is written
under a temporary name next to PATH and renamed into place when complete.
Every byte is checked against its digest as it is read.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			d, err := castore.ParseDigest(args[0])
			if err != nil {
				return err
			}
			s, err := openCastore(cmd)
			if err != nil {
				return err
			}
			defer closeStore(s, &err)
			root, err := rootNode(cmd.Context(), s, d, executable)
			if err != nil {
				return err
			}
			if os.Getenv("GOGC") == "" {
				// What an export allocates is blobs, dead once written;
				// what it keeps is the directory closure, a few MB for
				// a tree of thousands of files. Collecting each time
				// the heap doubled from that meant a collection every
				// few MB written, a tenth of the export's user time.
				debug.SetGCPercent(400)
			}
			if f := os.Getenv("GOVIX_CPUPROFILE"); f != "" {
				stopProfile, err := startCPUProfile(f)
				if err != nil {
					return err
				}
				defer stopProfile()
			}
			var prog fsio.Progress
			stop := showProgress(cmd.ErrOrStderr(), "exporting", &prog)
			err = fsio.Export(cmd.Context(), s, root, args[1], &fsio.Options{Progress: &prog, Workers: jobs})
			stop()
			return err
		},
	}
	cmd.Flags().BoolVar(&executable, "executable", false, "when DIGEST is a blob, make the file executable")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "files written at once (0: one per CPU)")
	return cmd
}

// rootNode finds what d names: a directory, else a blob.
func rootNode(ctx context.Context, s *castore.Store, d castore.Digest, executable bool) (castore.Node, error) {
	dir, err := s.Directories.Get(ctx, d)
	if err == nil {
		return castore.DirectoryNode(d, dir.Size()), nil
	}
	if !errors.Is(err, castore.ErrNotFound) {
		return castore.Node{}, err
	}
	r, err := s.Blobs.Open(ctx, d)
	if err != nil {
		if errors.Is(err, castore.ErrNotFound) {
			return castore.Node{}, fmt.Errorf("%s is neither a directory nor a blob in the store", d)
		}
		return castore.Node{}, err
	}
	size, err := r.Seek(0, io.SeekEnd)
	r.Close()
	if err != nil {
		return castore.Node{}, err
	}
	return castore.FileNode(d, uint64(size), executable), nil
}

// showProgress draws a status line on w every tenth of a second while work
// goes on, if w is a terminal; the returned function erases it.
func showProgress(w io.Writer, verb string, p *fsio.Progress) (stop func()) {
	f, ok := w.(*os.File)
	if !ok {
		return func() {}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(f, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprintf(f, "\r\033[K%s: %s", verb, progressLine(p, time.Since(start)))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func progressLine(p *fsio.Progress, elapsed time.Duration) string {
	files, found := p.Files.Load(), p.FilesDiscovered.Load()
	walked := p.Walked.Load()
	mb := float64(p.Bytes.Load()) / 1e6
	line := fmt.Sprintf("%d/%d files, %.1f MB, %.0f MB/s", files, found, mb, mb/elapsed.Seconds())
	if !walked {
		return line + ", listing the tree"
	}
	const width = 24
	n := width
	if found > 0 {
		n = int(width * files / found)
	}
	bar := "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "] "
	if files == found {
		line += ", writing to disk"
	}
	return bar + line
}
