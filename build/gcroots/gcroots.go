// Package gcroots keeps the garbage collector roots that `govix build`
// makes, laid out as Nix lays out its own: a permanent root is a symlink
// outside the store (./result) pointing at a store path, registered
// indirectly by a symlink DIR/auto/<nix32 SHA-1 of the link's path> that
// points back at it. A link that has gone away, or no longer points into
// the store, stops being a root.
//
// The links point at store paths as nix-build's do (/nix/store/...), even
// though a govix store is not the host's /nix/store: their targets resolve
// where the store is mounted there (govix store mount), and whatever
// collects a govix store's garbage asks Roots for what to keep.
package gcroots

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/nixcompat/storepath"
)

// Roots is a directory of garbage collector roots for stores whose paths
// are printed under StoreDir.
type Roots struct {
	// Dir holds the roots (auto/ for the indirect ones), like Nix's
	// /nix/var/nix/gcroots.
	Dir      string
	StoreDir storepath.StoreDir
}

// AutoName is the name Nix gives the indirect root of link (an absolute,
// clean path): the nix32 SHA-1 of the path.
func AutoName(link string) string {
	sum := sha1.Sum([]byte(link))
	return nixbase32.EncodeToString(sum[:])
}

// inStore reports whether p is inside the store directory, as Nix's
// isInStore.
func (r *Roots) inStore(p string) bool {
	d := string(r.StoreDir)
	return strings.HasPrefix(p, d+"/") && len(p) >= len(d)+2
}

// AddPermRoot makes link (relative to the working directory) a symlink to
// the store path p and registers it as an indirect root, as Nix's
// addPermRoot: a link already there is replaced only if it is a symlink
// into the store. It returns the link's absolute path.
func (r *Roots) AddPermRoot(p storepath.StorePath, link string) (string, error) {
	abs, err := filepath.Abs(link)
	if err != nil {
		return "", err
	}
	if r.inStore(abs) {
		return "", fmt.Errorf("creating a garbage collector root (%s) in the Nix store is forbidden (are you running nix-build inside the store?)", abs)
	}
	if fi, err := os.Lstat(abs); err == nil {
		target, lerr := os.Readlink(abs)
		if fi.Mode()&fs.ModeSymlink == 0 || lerr != nil || !r.inStore(target) {
			return "", fmt.Errorf("cannot create symlink '%s'; already exists", abs)
		}
	}
	if err := replaceSymlink(r.StoreDir.Print(p), abs); err != nil {
		return "", err
	}
	if err := r.AddIndirect(abs); err != nil {
		return "", err
	}
	return abs, nil
}

// AddIndirect registers the symlink at the absolute path link as a root.
func (r *Roots) AddIndirect(link string) error {
	auto := filepath.Join(r.Dir, "auto")
	if err := os.MkdirAll(auto, 0o755); err != nil {
		return fmt.Errorf("gc roots: %w", err)
	}
	return replaceSymlink(link, filepath.Join(auto, AutoName(link)))
}

// replaceSymlink makes link point at target, replacing what is there in
// one rename, as Nix's makeSymlink.
func replaceSymlink(target, link string) error {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := fmt.Sprintf("%s.tmp-%d-%s", link, os.Getpid(), hex.EncodeToString(rnd[:]))
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("creating symlink '%s': %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("creating symlink '%s': %w", link, err)
	}
	return nil
}

// Root is a live root: a link and the store path it points at.
type Root struct {
	Link string
	Path storepath.StorePath
}

// List returns the live indirect roots. Registrations whose link is gone
// are removed, as Nix's collector removes stale links; a link that exists
// but points outside the store is skipped.
func (r *Roots) List() ([]Root, error) {
	auto := filepath.Join(r.Dir, "auto")
	entries, err := os.ReadDir(auto)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gc roots: %w", err)
	}
	var roots []Root
	for _, e := range entries {
		reg := filepath.Join(auto, e.Name())
		link, err := os.Readlink(reg)
		if err != nil {
			continue
		}
		target, err := os.Readlink(link)
		if errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(reg)
			continue
		}
		if err != nil {
			continue
		}
		p, err := r.StoreDir.Parse(target)
		if err != nil {
			continue
		}
		roots = append(roots, Root{Link: link, Path: p})
	}
	return roots, nil
}
