package glue

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/store"
)

// A tree input, as Nix's fetchers::Input: a type and attributes (strings,
// Booleans and non-negative integers).
type input struct {
	typ   string
	attrs map[string]any
}

func (in *input) str(name string) (string, bool) {
	s, ok := in.attrs[name].(string)
	return s, ok
}

func (in *input) boolean(name string) bool {
	b, _ := in.attrs[name].(bool)
	return b
}

func (in *input) name() string {
	if s, ok := in.str("name"); ok {
		return s
	}
	return "source"
}

// fetchedTree is what fetching an input gives.
type fetchedTree struct {
	info         *store.PathInfo
	rev          string // git revision, "" if none (a dirty tree)
	revCount     int64
	hasRevCount  bool
	lastModified int64
	hasLastMod   bool
}

// builtinFetchTree is builtins.fetchTree (experimental, as in Nix 2.8:
// it needs the flakes or fetch-tree feature).
func (g *Glue) builtinFetchTree(c eval.Call) eval.Value {
	if !g.features["flakes"] && !g.features["fetch-tree"] {
		g.requireFeature(c, "flakes")
	}
	return g.fetchTree(c, "", false, false)
}

// builtinFetchGit is builtins.fetchGit url | { url, name ?, rev ?, ref ?,
// submodules ?, shallow ?, allRefs ? }.
func (g *Glue) builtinFetchGit(c eval.Call) eval.Value {
	return g.fetchTree(c, "git", true, true)
}

// fetchTree is Nix 2.8's fetchTree behind fetchTree and fetchGit: it reads
// the input, refuses unlocked inputs in pure mode, fetches, and returns
// the tree's attributes.
func (g *Glue) fetchTree(c eval.Call, typ string, emptyRevFallback, allowName bool) eval.Value {
	in := &input{attrs: map[string]any{}}
	v := c.Force(0)
	if attrs, ok := v.(*eval.Attrs); ok {
		if a := c.Get(attrs, "type"); a != nil {
			if typ != "" {
				c.Errorf(eval.EvalError, "unexpected attribute 'type'")
			}
			typ = forceStringNoCtx(c, a.Value, "while evaluating the `type` attribute passed to builtins.fetchTree")
		} else if typ == "" {
			c.Errorf(eval.EvalError, "attribute 'type' is missing in call to 'fetchTree'")
		}
		in.typ = typ
		for _, a := range attrs.All() {
			name := c.Ev.SymName(a.Name)
			if name == "type" {
				continue
			}
			switch x := c.ForceValue(a.Value).(type) {
			case eval.Path, *eval.String:
				s, _ := c.CoerceValue(x, "", false, false)
				if name == "url" {
					s = fixURI(s, typ == "git")
				}
				in.attrs[name] = s
			case eval.Bool:
				in.attrs[name] = bool(x)
			case eval.Int:
				if x < 0 {
					c.Errorf(eval.EvalError, "negative value given for fetchTree attr %s: %d", name, int64(x))
				}
				in.attrs[name] = int64(x)
			default:
				c.Errorf(eval.TypeError, "fetchTree argument '%s' is %s while a string, Boolean or integer is expected", name, showKind(x))
			}
		}
		if _, ok := in.attrs["name"]; ok && !allowName {
			c.Errorf(eval.EvalError, "attribute 'name' isn't supported in call to 'fetchTree'")
		}
	} else {
		s, _ := c.CoerceValue(v, "while evaluating the first argument passed to the fetcher", false, false)
		if typ == "git" {
			in.typ = "git"
			in.attrs["url"] = fixURI(s, true)
		} else {
			var err error
			if in, err = inputFromURL(fixURI(s, false)); err != nil {
				c.Errorf(eval.EvalError, "%v", err)
			}
		}
	}
	if g.pure && !in.locked() {
		c.Errorf(eval.EvalError, "in pure evaluation mode, 'fetchTree' requires a locked input")
	}
	ctx := c.Context()
	t, err := g.fetchInput(ctx, in)
	if err != nil {
		c.Errorf(eval.EvalError, "%v", err)
	}
	narHash := t.info.NarHash()
	if want, ok := in.str("narHash"); ok {
		h, err := nixhash.ParseAnyPrefixed(want)
		if err != nil {
			c.Errorf(eval.EvalError, "%v", err)
		}
		if h != narHash {
			c.Errorf(eval.EvalError, "NAR hash mismatch in input '%s', expected '%s', got '%s'", in.String(), h.SRI(), narHash.SRI())
		}
	}
	p := g.dir.Print(t.info.StorePath)
	res := c.NewAttrs(8)
	res.Set("outPath", eval.NewString(p, eval.NewContext(p)))
	res.Set("narHash", eval.Str(narHash.SRI()))
	if in.typ == "git" {
		res.Set("submodules", eval.Bool(in.boolean("submodules")))
	}
	rev := t.rev
	if rev == "" && emptyRevFallback {
		rev = strings.Repeat("0", 40)
	}
	if rev != "" {
		res.Set("rev", eval.Str(rev))
		res.Set("shortRev", eval.Str(rev[:7]))
	}
	switch {
	case t.hasRevCount:
		res.Set("revCount", eval.Int(t.revCount))
	case emptyRevFallback:
		res.Set("revCount", eval.Int(0))
	}
	if t.hasLastMod {
		res.Set("lastModified", eval.Int(t.lastModified))
		res.Set("lastModifiedDate", eval.Str(time.Unix(t.lastModified, 0).UTC().Format("20060102150405")))
	}
	return res.Attrs()
}

// fixURI adds file:// to a URL without a scheme; for git, scp-style
// addresses (user@host:path) become ssh:// URLs.
func fixURI(s string, git bool) string {
	if git && !strings.HasPrefix(s, "/") {
		if m := scpURL.FindStringSubmatch(s); m != nil {
			return "ssh://" + m[1] + "@" + m[2] + "/" + m[3]
		}
	}
	if strings.Contains(s, "://") {
		return s
	}
	return "file://" + s
}

var scpURL = regexp.MustCompile(`^([^/]*)@(.*):(.*)$`)

// inputFromURL parses a flake-style URL into an input.
func inputFromURL(raw string) (*input, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("'%s' is not a valid URL: %w", raw, err)
	}
	in := &input{attrs: map[string]any{}}
	switch {
	case strings.HasPrefix(u.Scheme, "git+") || u.Scheme == "git":
		in.typ = "git"
		q := u.Query()
		for k, vs := range q {
			switch k {
			case "rev", "ref":
				in.attrs[k] = vs[0]
			case "shallow", "submodules":
				in.attrs[k] = vs[0] == "1"
			default:
				continue
			}
			q.Del(k)
		}
		u.RawQuery = q.Encode()
		u.Scheme = strings.TrimPrefix(u.Scheme, "git+")
		in.attrs["url"] = u.String()
	case u.Scheme == "path":
		in.typ = "path"
		in.attrs["path"] = u.Opaque + u.Path
	case u.Scheme == "file" || u.Scheme == "http" || u.Scheme == "https":
		archive := false
		for _, ext := range []string{".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst"} {
			archive = archive || strings.HasSuffix(u.Path, ext)
		}
		if !archive {
			return nil, fmt.Errorf("input '%s' is unsupported", raw)
		}
		in.typ = "tarball"
		q := u.Query()
		if h := q.Get("narHash"); h != "" {
			in.attrs["narHash"] = h
			q.Del("narHash")
			u.RawQuery = q.Encode()
		}
		in.attrs["url"] = u.String()
	default:
		return nil, fmt.Errorf("input '%s' is unsupported", raw)
	}
	return in, nil
}

// locked reports whether the input names one tree for ever.
func (in *input) locked() bool {
	if in.typ == "git" {
		_, ok := in.str("rev")
		return ok
	}
	_, ok := in.str("narHash")
	return ok
}

func (in *input) String() string {
	keys := make([]string, 0, len(in.attrs))
	for k := range in.attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(in.typ)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, in.attrs[k])
	}
	return b.String()
}

// fetchInput fetches an input of any supported type.
func (g *Glue) fetchInput(ctx context.Context, in *input) (*fetchedTree, error) {
	allowed := map[string][]string{
		"git":     {"url", "ref", "rev", "shallow", "submodules", "lastModified", "revCount", "narHash", "allRefs", "name"},
		"tarball": {"url", "narHash", "name"},
		"file":    {"url", "narHash", "name"},
		"path":    {"path", "rev", "revCount", "lastModified", "narHash"},
	}
	names, ok := allowed[in.typ]
	if !ok {
		return nil, fmt.Errorf("input type '%s' is not supported by govix", in.typ)
	}
	for k := range in.attrs {
		if !contains(names, k) {
			return nil, fmt.Errorf("unsupported %s input attribute '%s'", in.typ, k)
		}
	}
	if in.typ != "path" {
		if _, ok := in.str("url"); !ok {
			return nil, fmt.Errorf("input attribute 'url' is missing")
		}
	}
	switch in.typ {
	case "git":
		return g.fetchGit(ctx, in)
	case "tarball":
		u, _ := in.str("url")
		info, _, err := g.downloadTarball(ctx, u, in.name(), in.locked())
		if err != nil {
			return nil, err
		}
		return &fetchedTree{info: info}, nil
	case "file":
		u, _ := in.str("url")
		info, err := g.downloadFile(ctx, u, in.name(), in.locked())
		if err != nil {
			return nil, err
		}
		return &fetchedTree{info: info}, nil
	}
	p, _ := in.str("path")
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("cannot fetch input '%s' because it uses a relative path", in.String())
	}
	info, err := g.addToStore(ctx, p, "source", false)
	if err != nil {
		return nil, err
	}
	mtime, err := maxMtime(p)
	if err != nil {
		return nil, err
	}
	return &fetchedTree{info: info, lastModified: mtime, hasLastMod: true}, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// maxMtime is the latest modification time in a tree (symlinks not
// followed), as Nix's dumpPathAndGetMtime.
func maxMtime(root string) (int64, error) {
	var m int64
	err := walkLstat(root, func(fi fs.FileInfo) {
		if t := fi.ModTime().Unix(); t > m {
			m = t
		}
	})
	return m, err
}

func walkLstat(p string, f func(fs.FileInfo)) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	f(fi)
	if !fi.IsDir() {
		return nil
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := walkLstat(p+"/"+e.Name(), f); err != nil {
			return err
		}
	}
	return nil
}
