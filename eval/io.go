package eval

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// IO is the evaluator's only door to the world: files, environment
// variables and the clock. OSIO reads the real machine; MemIO is a pure,
// in-memory world for tests, sandboxes and WebAssembly.
//
// Paths are absolute and slash-separated. Errors for missing files wrap
// fs.ErrNotExist.
type IO interface {
	// ReadFile returns the contents of a file (following symlinks).
	ReadFile(ctx context.Context, name string) ([]byte, error)
	// Stat and Lstat describe a file, following the final symlink or not.
	Stat(ctx context.Context, name string) (fs.FileInfo, error)
	Lstat(ctx context.Context, name string) (fs.FileInfo, error)
	// ReadDir lists a directory, sorted by name.
	ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error)
	// Readlink returns the target of a symbolic link.
	Readlink(ctx context.Context, name string) (string, error)
	// Getenv returns an environment variable.
	Getenv(name string) (string, bool)
	// Now is the current time (builtins.currentTime).
	Now() time.Time
}

// OSIO returns an IO backed by the operating system.
func OSIO() IO { return osIO{} }

type osIO struct{}

func (osIO) ReadFile(ctx context.Context, name string) ([]byte, error)   { return readFile(name) }
func (osIO) Stat(ctx context.Context, name string) (fs.FileInfo, error)  { return os.Stat(name) }
func (osIO) Lstat(ctx context.Context, name string) (fs.FileInfo, error) { return os.Lstat(name) }
func (osIO) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	return os.ReadDir(name)
}
func (osIO) Readlink(ctx context.Context, name string) (string, error) { return os.Readlink(name) }
func (osIO) Getenv(name string) (string, bool)                         { return os.LookupEnv(name) }
func (osIO) Now() time.Time                                            { return time.Now() }

// MemIO is an in-memory IO: a tree of files, environment variables and a
// fixed clock. Files maps absolute paths to contents; directories are
// implied by the files under them; Symlinks maps absolute paths to link
// targets. It is safe for concurrent reads.
type MemIO struct {
	Files    map[string]string
	Symlinks map[string]string
	Env      map[string]string
	Time     time.Time
}

// memInfo describes a MemIO file.
type memInfo struct {
	name string
	size int64
	mode fs.FileMode
	t    time.Time
}

func (m memInfo) Name() string               { return m.name }
func (m memInfo) Size() int64                { return m.size }
func (m memInfo) Mode() fs.FileMode          { return m.mode }
func (m memInfo) ModTime() time.Time         { return m.t }
func (m memInfo) IsDir() bool                { return m.mode.IsDir() }
func (m memInfo) Sys() any                   { return nil }
func (m memInfo) Type() fs.FileMode          { return m.mode.Type() }
func (m memInfo) Info() (fs.FileInfo, error) { return m, nil }

func notExist(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// resolve follows symlinks in every component of name (up to a limit).
func (m *MemIO) resolve(name string, final bool) (string, error) {
	name = path.Clean(name)
	for range 40 {
		changed := false
		parts := strings.Split(strings.TrimPrefix(name, "/"), "/")
		cur := ""
		for i, p := range parts {
			next := cur + "/" + p
			if t, ok := m.Symlinks[next]; ok && (final || i < len(parts)-1) {
				if !strings.HasPrefix(t, "/") {
					t = path.Join(path.Dir(next), t)
				}
				name = path.Clean(t + "/" + strings.Join(parts[i+1:], "/"))
				changed = true
				break
			}
			cur = next
		}
		if !changed {
			return name, nil
		}
	}
	return "", errors.New("too many levels of symbolic links: " + name)
}

func (m *MemIO) isDir(name string) bool {
	if name == "/" {
		return true
	}
	prefix := name + "/"
	for f := range m.Files {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	for f := range m.Symlinks {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

// ReadFile implements IO.
func (m *MemIO) ReadFile(ctx context.Context, name string) ([]byte, error) {
	p, err := m.resolve(name, true)
	if err != nil {
		return nil, err
	}
	if s, ok := m.Files[p]; ok {
		return []byte(s), nil
	}
	if m.isDir(p) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	return nil, notExist("open", name)
}

func (m *MemIO) stat(name string, final bool) (fs.FileInfo, error) {
	p, err := m.resolve(name, final)
	if err != nil {
		return nil, err
	}
	base := path.Base(p)
	if t, ok := m.Symlinks[p]; ok && !final {
		return memInfo{name: base, size: int64(len(t)), mode: fs.ModeSymlink | 0o777, t: m.Time}, nil
	}
	if s, ok := m.Files[p]; ok {
		return memInfo{name: base, size: int64(len(s)), mode: 0o444, t: m.Time}, nil
	}
	if m.isDir(p) {
		return memInfo{name: base, mode: fs.ModeDir | 0o555, t: m.Time}, nil
	}
	return nil, notExist("stat", name)
}

// Stat implements IO.
func (m *MemIO) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	return m.stat(name, true)
}

// Lstat implements IO.
func (m *MemIO) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	return m.stat(name, false)
}

// ReadDir implements IO.
func (m *MemIO) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	p, err := m.resolve(name, true)
	if err != nil {
		return nil, err
	}
	if !m.isDir(p) {
		return nil, notExist("readdir", name)
	}
	prefix := strings.TrimSuffix(p, "/") + "/"
	seen := map[string]bool{}
	var out []fs.DirEntry
	add := func(f string) {
		if !strings.HasPrefix(f, prefix) {
			return
		}
		child := strings.SplitN(f[len(prefix):], "/", 2)[0]
		if child == "" || seen[child] {
			return
		}
		seen[child] = true
		info, err := m.stat(prefix+child, false)
		if err == nil {
			out = append(out, info.(memInfo))
		}
	}
	for f := range m.Files {
		add(f)
	}
	for f := range m.Symlinks {
		add(f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Readlink implements IO.
func (m *MemIO) Readlink(ctx context.Context, name string) (string, error) {
	if t, ok := m.Symlinks[path.Clean(name)]; ok {
		return t, nil
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: errors.New("not a symbolic link")}
}

// Getenv implements IO.
func (m *MemIO) Getenv(name string) (string, bool) {
	v, ok := m.Env[name]
	return v, ok
}

// Now implements IO.
func (m *MemIO) Now() time.Time { return m.Time }

// cachingIO remembers what Lstat, Stat, Readlink and ReadDir said about each path
// for the rest of the evaluation (Nix too assumes files do not change
// while it evaluates, and caches lstat): nixpkgs asks about the same
// paths and their ancestors over and over. In the store only what exists
// is remembered: the evaluation itself adds store paths, and a store path
// never changes once there (a nixpkgs tree imported through its store
// path, as auxcore is, is asked about as often as one outside).
type cachingIO struct {
	IO
	storeDir string // with a trailing slash
	mu       sync.Mutex
	lstat    map[string]statResult
	stat     map[string]statResult
	link     map[string]linkResult
	dirs     map[string]dirResult
}

type dirResult struct {
	entries []fs.DirEntry
	err     error
}

type statResult struct {
	fi  fs.FileInfo
	err error
}

type linkResult struct {
	target string
	err    error
}

func newCachingIO(io IO, storeDir string) *cachingIO {
	c := &cachingIO{IO: io, storeDir: strings.TrimSuffix(storeDir, "/") + "/"}
	c.reset()
	return c
}

// cacheable reports whether a result for name can be remembered: any
// result outside the store, only success inside it.
func (c *cachingIO) cacheable(name string, err error) bool {
	return err == nil || !strings.HasPrefix(name, c.storeDir)
}

func (c *cachingIO) reset() {
	c.mu.Lock()
	c.lstat = map[string]statResult{}
	c.stat = map[string]statResult{}
	c.link = map[string]linkResult{}
	c.dirs = map[string]dirResult{}
	c.mu.Unlock()
}

func (c *cachingIO) Lstat(ctx context.Context, name string) (fs.FileInfo, error) {
	c.mu.Lock()
	r, ok := c.lstat[name]
	c.mu.Unlock()
	if !ok {
		r.fi, r.err = c.IO.Lstat(ctx, name)
		if ctx.Err() != nil || !c.cacheable(name, r.err) {
			return r.fi, r.err
		}
		c.mu.Lock()
		c.lstat[name] = r
		c.mu.Unlock()
	}
	return r.fi, r.err
}

func (c *cachingIO) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	c.mu.Lock()
	r, ok := c.stat[name]
	c.mu.Unlock()
	if !ok {
		r.fi, r.err = c.IO.Stat(ctx, name)
		if ctx.Err() != nil || !c.cacheable(name, r.err) {
			return r.fi, r.err
		}
		c.mu.Lock()
		c.stat[name] = r
		c.mu.Unlock()
	}
	return r.fi, r.err
}

func (c *cachingIO) Readlink(ctx context.Context, name string) (string, error) {
	c.mu.Lock()
	r, ok := c.link[name]
	c.mu.Unlock()
	if !ok {
		r.target, r.err = c.IO.Readlink(ctx, name)
		if ctx.Err() != nil || !c.cacheable(name, r.err) {
			return r.target, r.err
		}
		c.mu.Lock()
		c.link[name] = r
		c.mu.Unlock()
	}
	return r.target, r.err
}

// ReadDir returns the cached listing; callers must not modify it.
func (c *cachingIO) ReadDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	r, ok := c.dirs[name]
	c.mu.Unlock()
	if !ok {
		r.entries, r.err = c.IO.ReadDir(ctx, name)
		if ctx.Err() != nil || !c.cacheable(name, r.err) {
			return r.entries, r.err
		}
		c.mu.Lock()
		c.dirs[name] = r
		c.mu.Unlock()
	}
	return r.entries, r.err
}
