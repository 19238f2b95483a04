// Package nixlocal imports store paths from a Nix installation's store,
// through Nix's own commands: `nix path-info --json -r` for the closure
// and its metadata (references, NAR hash, deriver, content address,
// signatures) and `nix store dump-path` for each path's NAR, which is
// ingested as it streams and must have the NAR hash Nix recorded.
package nixlocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// Options configure Import.
type Options struct {
	// NixStore is the Nix store to read (Nix's --store); default Nix's
	// own.
	NixStore string
	// NixBin is the directory holding the nix command; default $PATH.
	NixBin string
	// Jobs is how many paths are dumped at a time (default 4).
	Jobs int
	// Progress, if set, is called after each path (skipped: the store had
	// it already). It is called from several goroutines.
	Progress func(info *store.PathInfo, skipped bool)
}

// nixPathInfo is an entry of nix path-info --json.
type nixPathInfo struct {
	Path       string   `json:"path"`
	NarHash    string   `json:"narHash"`
	NarSize    uint64   `json:"narSize"`
	References []string `json:"references"`
	Deriver    string   `json:"deriver"`
	CA         string   `json:"ca"`
	Signatures []string `json:"signatures"`
}

func (o *Options) nix(ctx context.Context, args ...string) *exec.Cmd {
	name := "nix"
	if o.NixBin != "" {
		name = o.NixBin + "/nix"
	}
	full := []string{"--extra-experimental-features", "nix-command"}
	full = append(full, args[0])
	if o.NixStore != "" {
		full = append(full, "--store", o.NixStore)
	}
	full = append(full, args[1:]...)
	return exec.CommandContext(ctx, name, full...)
}

// Import copies paths and their closures from Nix into st, skipping those
// st has already, and returns the PathInfos of the closure.
func Import(ctx context.Context, st *store.Store, paths []string, opts *Options) ([]*store.PathInfo, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	var stderr bytes.Buffer
	cmd := o.nix(ctx, append([]string{"path-info", "--json", "--recursive"}, paths...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nix path-info: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var nixInfos []nixPathInfo
	if err := json.Unmarshal(out, &nixInfos); err != nil {
		return nil, fmt.Errorf("nix path-info: %w", err)
	}
	infos := make([]*store.PathInfo, 0, len(nixInfos))
	for _, ni := range nixInfos {
		info, err := convert(ni)
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	sorted, err := store.TopoSort(infos)
	if err != nil {
		return nil, err
	}
	// Contents go in parallel; PathInfos are put in order, references
	// first, as each one's contents and references are in.
	done := make(map[storepath.StorePath]chan struct{}, len(sorted))
	for _, info := range sorted {
		done[info.StorePath] = make(chan struct{})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Jobs)
	for _, info := range sorted {
		g.Go(func() error {
			defer close(done[info.StorePath])
			skipped, err := importOne(gctx, st, &o, info)
			if err != nil {
				return err
			}
			for _, r := range info.References {
				if ch, ok := done[r]; ok && r != info.StorePath {
					select {
					case <-ch:
					case <-gctx.Done():
						return gctx.Err()
					}
				}
			}
			if !skipped {
				if _, err := st.PathInfo.Put(gctx, info); err != nil {
					return err
				}
			}
			if o.Progress != nil {
				o.Progress(info, skipped)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return infos, nil
}

// importOne ingests one path's NAR unless st has the path already.
func importOne(ctx context.Context, st *store.Store, o *Options, info *store.PathInfo) (skipped bool, err error) {
	if old, err := st.PathInfo.Get(ctx, info.StorePath.Digest); err == nil && old.NarSHA256 == info.NarSHA256 {
		info.Node = old.Node
		return true, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	p := storepath.DefaultStoreDir.Print(info.StorePath)
	cmd := o.nix(ctx, "store", "dump-path", p)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	r, err := cmd.StdoutPipe()
	if err != nil {
		return false, err
	}
	if err := cmd.Start(); err != nil {
		return false, err
	}
	res, ierr := store.IngestNAR(ctx, st.Blobs, st.Directories, r, &store.IngestOptions{Size: info.NarSize, SHA256: &info.NarSHA256})
	if ierr != nil {
		cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if ierr != nil {
		return false, fmt.Errorf("importing %s: %w", p, ierr)
	}
	if werr != nil {
		return false, fmt.Errorf("nix store dump-path %s: %w: %s", p, werr, strings.TrimSpace(stderr.String()))
	}
	info.Node = res.Node
	return false, nil
}

func convert(ni nixPathInfo) (*store.PathInfo, error) {
	dir := storepath.DefaultStoreDir
	sp, err := dir.Parse(ni.Path)
	if err != nil {
		return nil, err
	}
	h, err := nixhash.ParseAny(ni.NarHash, nixhash.SHA256)
	if err != nil || h.Algorithm() != nixhash.SHA256 {
		return nil, fmt.Errorf("%s: bad narHash %q", ni.Path, ni.NarHash)
	}
	info := &store.PathInfo{StorePath: sp, NarSize: ni.NarSize, Signatures: ni.Signatures}
	copy(info.NarSHA256[:], h.Digest())
	for _, r := range ni.References {
		rp, err := dir.Parse(r)
		if err != nil {
			return nil, err
		}
		info.References = append(info.References, rp)
	}
	if ni.Deriver != "" {
		if info.Deriver, err = dir.Parse(ni.Deriver); err != nil {
			return nil, err
		}
	}
	if ni.CA != "" {
		if info.CA, err = storepath.ParseContentAddress(ni.CA); err != nil {
			return nil, fmt.Errorf("%s: %w", ni.Path, err)
		}
	}
	return info, nil
}
