package glue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/eval"
	"github.com/govix/govix/store"
)

// storeIO is the evaluator's IO with the store directory seen through the
// glue: paths created in this evaluation are read from memory (or, for
// copies of source trees not written yet, from where they were copied
// from), paths in the store from its castore, and everything else from
// the IO below.
type storeIO struct {
	g    *Glue
	base eval.IO
}

var _ eval.IO = (*storeIO)(nil)

// maxLinks bounds the symbolic links followed in one lookup.
const maxLinks = 40

// resolved is where a path under the store directory leads.
type resolved struct {
	// one of:
	text   []byte       // a text path of this evaluation
	node   castore.Node // a node in the store's castore
	osPath string       // a path to read through the base IO
	name   string
	ok     bool
}

// resolve looks a path under the store directory up, following symbolic
// links inside the store when follow is set (and in every component but
// the last). It reports ok=false for store paths neither created in this
// evaluation nor in the store: those are read through the base IO.
func (s *storeIO) resolve(ctx context.Context, p string, follow bool) (resolved, error) {
	g := s.g
	for range maxLinks {
		rest := p[len(g.dir)+1:]
		base, sub, _ := strings.Cut(rest, "/")
		top := string(g.dir) + "/" + base
		if e, ok := g.paths[top]; ok {
			switch {
			case e.text != nil:
				if sub != "" {
					return resolved{}, notDir(p)
				}
				return resolved{text: e.text, name: base, ok: true}, nil
			case e.src != nil:
				return s.resolveSource(ctx, e, sub, p, follow)
			}
		}
		// A path on disk (another Nix's store on this machine) is the
		// same path: read it there, without opening the store.
		if _, err := s.base.Lstat(ctx, top); err == nil {
			return resolved{osPath: p, ok: true}, nil
		}
		rootNode, err := g.view.root(ctx, top)
		if err != nil {
			return resolved{}, err
		}
		if rootNode == nil {
			return resolved{}, nil
		}
		n := *rootNode
		name := base
		parts := []string{}
		if sub != "" {
			parts = strings.Split(sub, "/")
		}
		var next string
		for i, part := range parts {
			if n.Kind == castore.KindSymlink {
				link := path.Join(top, strings.Join(parts[:i], "/"))
				next = joinLink(path.Dir(link), n.Target, strings.Join(parts[i:], "/"))
				break
			}
			if n.Kind != castore.KindDirectory {
				return resolved{}, notDir(p)
			}
			d, err := g.view.directory(ctx, n.Digest)
			if err != nil {
				return resolved{}, err
			}
			found := false
			for _, ent := range d.Entries {
				if ent.Name == part {
					n, found = ent.Node, true
					break
				}
			}
			if !found {
				return resolved{}, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
			}
			name = part
		}
		if next == "" {
			if n.Kind == castore.KindSymlink && follow {
				next = joinLink(path.Dir(p), n.Target, "")
			} else {
				return resolved{node: n, name: name, ok: true}, nil
			}
		}
		if !g.inStore(next) {
			return resolved{osPath: next, ok: true}, nil
		}
		p = next
	}
	return resolved{}, &fs.PathError{Op: "open", Path: p, Err: errors.New("too many levels of symbolic links")}
}

// resolveSource maps a path inside a source copy not written yet to its
// origin, hiding what the filter left out.
func (s *storeIO) resolveSource(ctx context.Context, e *pathEntry, sub, p string, follow bool) (resolved, error) {
	if sub != "" && e.src.excluded(sub) {
		return resolved{}, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if sub == "" {
		return resolved{osPath: e.src.root, ok: true}, nil
	}
	return resolved{osPath: e.src.root + "/" + sub, ok: true}, nil
}

func joinLink(dir, target, rest string) string {
	var p string
	if strings.HasPrefix(target, "/") {
		p = target
	} else {
		p = dir + "/" + target
	}
	if rest != "" {
		p += "/" + rest
	}
	return path.Clean(p)
}

func notDir(p string) error {
	return &fs.PathError{Op: "open", Path: p, Err: errors.New("not a directory")}
}

func (s *storeIO) ReadFile(ctx context.Context, name string) ([]byte, error) {
	if !s.g.inStore(name) {
		return s.base.ReadFile(ctx, name)
	}
	r, err := s.resolve(ctx, name, true)
	switch {
	case err != nil:
		return nil, err
	case !r.ok:
		return s.base.ReadFile(ctx, name)
	case r.text != nil:
		return r.text, nil
	case r.osPath != "":
		return s.base.ReadFile(ctx, r.osPath)
	}
	switch r.node.Kind {
	case castore.KindDirectory:
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	case castore.KindFile:
		st, err := s.g.store(ctx)
		if err != nil {
			return nil, err
		}
		f, err := st.Blobs.Open(ctx, r.node.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		defer f.Close()
		b := make([]byte, 0, r.node.Size)
		buf := make([]byte, 32<<10)
		for {
			n, err := f.Read(buf)
			b = append(b, buf[:n]...)
			if err == io.EOF {
				return b, nil
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
		}
	}
	return nil, fmt.Errorf("reading %s: unexpected node", name)
}

func (s *storeIO) stat(ctx context.Context, name string, follow bool) (fs.FileInfo, error) {
	if !s.g.inStore(name) {
		if follow {
			return s.base.Stat(ctx, name)
		}
		return s.base.Lstat(ctx, name)
	}
	r, err := s.resolve(ctx, name, follow)
	switch {
	case err != nil:
		return nil, err
	case !r.ok:
		if follow {
			return s.base.Stat(ctx, name)
		}
		return s.base.Lstat(ctx, name)
	case r.text != nil:
		return fileInfo{name: r.name, size: int64(len(r.text)), mode: 0o444}, nil
	case r.osPath != "":
		if follow {
			return s.base.Stat(ctx, r.osPath)
		}
		return s.base.Lstat(ctx, r.osPath)
	}
	return nodeInfo(r.name, r.node), nil
}

func nodeInfo(name string, n castore.Node) fileInfo {
	switch n.Kind {
	case castore.KindDirectory:
		return fileInfo{name: name, mode: fs.ModeDir | 0o555}
	case castore.KindSymlink:
		return fileInfo{name: name, size: int64(len(n.Target)), mode: fs.ModeSymlink | 0o777}
	}
	mode := fs.FileMode(0o444)
	if n.Executable {
		mode = 0o555
	}
	return fileInfo{name: name, size: int64(n.Size), mode: mode}
}

func (s *storeIO) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	return s.stat(ctx, name, true)
}

func (s *storeIO) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return s.stat(ctx, name, false)
}

func (s *storeIO) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	if !s.g.inStore(name) {
		return s.base.ReadDir(ctx, name)
	}
	r, err := s.resolve(ctx, name, true)
	switch {
	case err != nil:
		return nil, err
	case !r.ok:
		return s.base.ReadDir(ctx, name)
	case r.text != nil:
		return nil, notDir(name)
	case r.osPath != "":
		ents, err := s.base.ReadDir(ctx, r.osPath)
		if err != nil {
			return nil, err
		}
		// Hide what a filter left out of a source copy.
		rest := name[len(s.g.dir)+1:]
		top, sub, _ := strings.Cut(rest, "/")
		if e, ok := s.g.paths[string(s.g.dir)+"/"+top]; ok && e.src != nil {
			out := ents[:0:0]
			for _, de := range ents {
				rel := de.Name()
				if sub != "" {
					rel = sub + "/" + rel
				}
				if !e.src.excluded(rel) {
					out = append(out, de)
				}
			}
			ents = out
		}
		return ents, nil
	}
	if r.node.Kind != castore.KindDirectory {
		return nil, notDir(name)
	}
	d, err := s.g.view.directory(ctx, r.node.Digest)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, len(d.Entries))
	for i, e := range d.Entries {
		out[i] = nodeInfo(e.Name, e.Node)
	}
	return out, nil
}

func (s *storeIO) Readlink(ctx context.Context, name string) (string, error) {
	if !s.g.inStore(name) {
		return s.base.Readlink(ctx, name)
	}
	r, err := s.resolve(ctx, name, false)
	switch {
	case err != nil:
		return "", err
	case !r.ok:
		return s.base.Readlink(ctx, name)
	case r.osPath != "":
		return s.base.Readlink(ctx, r.osPath)
	case r.text == nil && r.node.Kind == castore.KindSymlink:
		return r.node.Target, nil
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: errors.New("not a symbolic link")}
}

func (s *storeIO) Getenv(name string) (string, bool) { return s.base.Getenv(name) }
func (s *storeIO) Now() time.Time                    { return s.base.Now() }

// fileInfo describes a node of the store view.
type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (f fileInfo) Name() string               { return f.name }
func (f fileInfo) Size() int64                { return f.size }
func (f fileInfo) Mode() fs.FileMode          { return f.mode }
func (f fileInfo) ModTime() time.Time         { return time.Unix(1, 0) }
func (f fileInfo) IsDir() bool                { return f.mode.IsDir() }
func (f fileInfo) Sys() any                   { return nil }
func (f fileInfo) Type() fs.FileMode          { return f.mode.Type() }
func (f fileInfo) Info() (fs.FileInfo, error) { return f, nil }

// storeView caches what the store says about store paths: their
// PathInfo (or that it has none) and directories read.
type storeView struct {
	g     *Glue
	mu    sync.Mutex                 // Flush reads sources through the view concurrently
	infos map[string]*store.PathInfo // nil value: not in the store
	dirs  map[castore.Digest]*castore.Directory
}

func newStoreView(g *Glue) *storeView {
	return &storeView{g: g, infos: map[string]*store.PathInfo{}, dirs: map[castore.Digest]*castore.Directory{}}
}

// info returns the PathInfo of the store path top, nil if the store does
// not have it (or there is no store).
func (v *storeView) info(ctx context.Context, top string) (*store.PathInfo, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if info, ok := v.infos[top]; ok {
		return info, nil
	}
	if !v.g.hasStore() {
		return nil, nil
	}
	sp, err := v.g.dir.Parse(top)
	if err != nil {
		v.infos[top] = nil
		return nil, nil
	}
	st, err := v.g.store(ctx)
	if err != nil {
		return nil, err
	}
	info, err := lookupInfo(ctx, st, sp)
	if err != nil {
		return nil, fmt.Errorf("querying %s: %w", top, err)
	}
	v.infos[top] = info
	return info, nil
}

// forget drops what is cached of top (after it was written).
func (v *storeView) forget(top string) {
	v.mu.Lock()
	delete(v.infos, top)
	v.mu.Unlock()
}

// root returns the root node of the store path top, nil if the store
// does not have it.
func (v *storeView) root(ctx context.Context, top string) (*castore.Node, error) {
	info, err := v.info(ctx, top)
	if err != nil || info == nil {
		return nil, err
	}
	n := info.Node
	return &n, nil
}

func (v *storeView) directory(ctx context.Context, d castore.Digest) (*castore.Directory, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if dir, ok := v.dirs[d]; ok {
		return dir, nil
	}
	st, err := v.g.store(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := st.Directories.Get(ctx, d)
	if err != nil {
		return nil, err
	}
	v.dirs[d] = dir
	return dir, nil
}
