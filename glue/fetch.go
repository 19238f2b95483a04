package glue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// The fetchers download into the store, whatever the evaluation's mode:
// the store is their cache. A fetch whose result is pinned by a hash is
// not repeated once its path is in the store; other fetches are repeated
// at most once an hour (Nix's tarball-ttl) when Options.CacheDir is set,
// and once per evaluation otherwise.

// fetchTTL is how long an unpinned fetch is reused (Nix's tarball-ttl).
const fetchTTL = time.Hour

// builtinFetchurl is builtins.fetchurl url | { url, sha256 ?, name ? }:
// the downloaded file as a flat store path.
func (g *Glue) builtinFetchurl(c eval.Call) eval.Value {
	return g.fetchURL(c, "fetchurl", false, "")
}

// builtinFetchTarball is fetchTarball url | { url, sha256 ?, name ? }: the
// unpacked tree (its single top-level directory) as a store path.
func (g *Glue) builtinFetchTarball(c eval.Call) eval.Value {
	return g.fetchURL(c, "fetchTarball", true, "source")
}

// fetchURL is Nix 2.8's fetch() behind fetchurl and fetchTarball.
func (g *Glue) fetchURL(c eval.Call, who string, unpack bool, name string) eval.Value {
	var (
		u        string
		hasURL   bool
		expected *nixhash.Hash
	)
	v := c.Force(0)
	if attrs, ok := v.(*eval.Attrs); ok {
		for _, a := range attrs.All() {
			switch n := c.Ev.SymName(a.Name); n {
			case "url":
				u, hasURL = forceStringNoCtx(c, a.Value, "while evaluating the url we should fetch"), true
			case "sha256":
				h := g.hashAllowEmpty(c, forceStringNoCtx(c, a.Value, "while evaluating the sha256 of the content we should fetch"), nixhash.SHA256)
				expected = &h
			case "name":
				name = forceStringNoCtx(c, a.Value, "while evaluating the name of the content we should fetch")
			default:
				c.Errorf(eval.EvalError, "unsupported argument '%s' to '%s'", n, who)
			}
		}
		if !hasURL {
			c.Errorf(eval.EvalError, "'url' argument required")
		}
	} else {
		u = forceStringNoCtx(c, v, "while evaluating the url we should fetch")
	}
	if name == "" {
		name = path.Base(u)
	}
	if err := storepath.ValidateName(name); err != nil {
		c.Errorf(eval.EvalError, "invalid store path name '%s' for the content fetched from '%s': %s; pass a 'name' argument", name, u, nameError(err))
	}
	if g.pure && expected == nil {
		c.Errorf(eval.EvalError, "in pure evaluation mode, '%s' requires a 'sha256' argument", who)
	}
	ctx := c.Context()
	method := storepath.Flat
	if unpack {
		method = storepath.Recursive
	}
	// A pinned result already in the store is not fetched again.
	if expected != nil {
		want, err := g.dir.MakeFixedOutputPath(method, *expected, name, nil, false)
		if err != nil {
			c.Errorf(eval.EvalError, "%v", err)
		}
		if ws := g.dir.Print(want); g.isValidPath(ctx, ws) {
			return eval.NewString(ws, eval.NewContext(ws))
		}
	}
	var info *store.PathInfo
	var err error
	if unpack {
		info, _, err = g.downloadTarball(ctx, u, name, expected != nil)
	} else {
		info, err = g.downloadFile(ctx, u, name, expected != nil)
	}
	if err != nil {
		c.Errorf(eval.EvalError, "%v", err)
	}
	if expected != nil {
		got := info.NarHash()
		if !unpack {
			got = info.CA.Hash
		}
		if got != *expected {
			c.Errorf(eval.EvalError, "hash mismatch in file downloaded from '%s':\n  specified: %s\n  got:       %s",
				u, expected.Format(nixhash.Nix32, true), got.Format(nixhash.Nix32, true))
		}
	}
	p := g.dir.Print(info.StorePath)
	return eval.NewString(p, eval.NewContext(p))
}

// open returns a reader of what url names: http(s) through the HTTP
// client, file:// from the local file system.
func (g *Glue) open(ctx context.Context, rawURL string) (io.ReadCloser, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid URL '%s': %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		return os.Open(u.Path)
	case "http", "https":
	default:
		return nil, fmt.Errorf("unsupported URL scheme in '%s'", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	client := g.opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("unable to download '%s': %w", rawURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("unable to download '%s': HTTP error %d", rawURL, resp.StatusCode)
	}
	return resp.Body, nil
}

// download saves what url names in a temporary file.
func (g *Glue) download(ctx context.Context, rawURL string) (string, error) {
	r, err := g.open(ctx, rawURL)
	if err != nil {
		return "", err
	}
	defer r.Close()
	f, err := os.CreateTemp(g.opts.TempDir, "govix-fetch-*")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("downloading '%s': %w", rawURL, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	// Nix stores the file as a regular, non-executable file.
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// downloadFile fetches url into the store as a flat file named name, as
// Nix's downloadFile.
func (g *Glue) downloadFile(ctx context.Context, rawURL, name string, pinned bool) (*store.PathInfo, error) {
	key := cacheKey("file", rawURL, name)
	if info := g.cachedFetch(ctx, key, pinned); info != nil {
		return info, nil
	}
	tmp, err := g.download(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	info, err := g.addToStore(ctx, tmp, name, true)
	if err != nil {
		return nil, err
	}
	g.rememberFetch(key, info, 0)
	return info, nil
}

// downloadTarball fetches url, unpacks it and adds its single top-level
// directory to the store as name, as Nix's downloadTarball. It also
// returns the directory's modification time (lastModified).
func (g *Glue) downloadTarball(ctx context.Context, rawURL, name string, pinned bool) (*store.PathInfo, int64, error) {
	key := cacheKey("tarball", rawURL, name)
	if info := g.cachedFetch(ctx, key, pinned); info != nil {
		return info, g.fetched[key].LastModified, nil
	}
	tmp, err := g.download(ctx, rawURL)
	if err != nil {
		return nil, 0, err
	}
	defer os.Remove(tmp)
	dir, err := os.MkdirTemp(g.opts.TempDir, "govix-unpack-*")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(dir)
	if err := unpackArchive(ctx, tmp, dir); err != nil {
		return nil, 0, fmt.Errorf("unpacking '%s': %w", rawURL, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	if len(ents) != 1 {
		return nil, 0, fmt.Errorf("tarball '%s' contains an unexpected number of top-level files", rawURL)
	}
	top := filepath.Join(dir, ents[0].Name())
	fi, err := os.Lstat(top)
	if err != nil {
		return nil, 0, err
	}
	info, err := g.addToStore(ctx, top, name, false)
	if err != nil {
		return nil, 0, err
	}
	mtime := fi.ModTime().Unix()
	g.rememberFetch(key, info, mtime)
	return info, mtime, nil
}

// addToStore adds a file or tree on disk to the store (flat or recursive,
// sha256), as Nix's addToStore, and makes the glue see it.
func (g *Glue) addToStore(ctx context.Context, p, name string, flat bool) (*store.PathInfo, error) {
	st, err := g.store(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetching needs a store: %w", err)
	}
	info, err := store.AddPath(ctx, st, p, &store.AddOptions{Name: name, Flat: flat, StoreDir: g.dir})
	if err != nil {
		return nil, err
	}
	g.view.forget(g.dir.Print(info.StorePath))
	return info, nil
}

// fetchRecord is what the fetch cache remembers of an unpinned fetch.
type fetchRecord struct {
	StorePath    string `json:"storePath"`
	Time         int64  `json:"time"`
	LastModified int64  `json:"lastModified,omitempty"`
	Rev          string `json:"rev,omitempty"`
	RevCount     int64  `json:"revCount,omitempty"`
}

func cacheKey(kind string, parts ...string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + strings.Join(parts, "\x00")))
	return kind + "-" + hex.EncodeToString(h[:16])
}

// cachedFetch returns the result of an earlier fetch under key if it is
// still in the store and fresh (or pinned, when the caller checks the
// hash anyway).
func (g *Glue) cachedFetch(ctx context.Context, key string, pinned bool) *store.PathInfo {
	rec, ok := g.fetched[key]
	if !ok && g.opts.CacheDir != "" {
		b, err := os.ReadFile(filepath.Join(g.opts.CacheDir, key+".json"))
		if err == nil && json.Unmarshal(b, &rec) == nil {
			ok = time.Since(time.Unix(rec.Time, 0)) < fetchTTL || pinned
			if ok {
				g.fetched[key] = rec
			}
		}
	}
	if !ok {
		return nil
	}
	sp, err := g.dir.Parse(rec.StorePath)
	if err != nil {
		return nil
	}
	st, err := g.store(ctx)
	if err != nil {
		return nil
	}
	info, err := lookupInfo(ctx, st, sp)
	if err != nil || info == nil {
		delete(g.fetched, key)
		return nil
	}
	return info
}

// rememberFetch records a fetch's result for cachedFetch.
func (g *Glue) rememberFetch(key string, info *store.PathInfo, lastModified int64) {
	rec := fetchRecord{StorePath: g.dir.Print(info.StorePath), Time: time.Now().Unix(), LastModified: lastModified}
	g.fetched[key] = rec
	g.saveFetch(key, rec)
}

func (g *Glue) saveFetch(key string, rec fetchRecord) {
	if g.opts.CacheDir == "" {
		return
	}
	b, _ := json.Marshal(rec)
	if err := os.MkdirAll(g.opts.CacheDir, 0o755); err != nil {
		return
	}
	tmp := filepath.Join(g.opts.CacheDir, key+".tmp")
	if os.WriteFile(tmp, b, 0o644) == nil {
		os.Rename(tmp, filepath.Join(g.opts.CacheDir, key+".json"))
	}
}
