package glue

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// sourceCopy is a file system tree added to the store: where it is, how
// it is hashed, and what a filter left out.
type sourceCopy struct {
	root   string // absolute path, read through the store view
	method storepath.Method
	// excl holds the paths (relative to root) a filter left out; their
	// subtrees are left out with them.
	excl map[string]bool
}

// excluded reports whether rel (relative to the root) was left out.
func (s *sourceCopy) excluded(rel string) bool {
	if s.excl == nil {
		return false
	}
	for {
		if s.excl[rel] {
			return true
		}
		i := strings.LastIndexByte(rel, '/')
		if i < 0 {
			return false
		}
		rel = rel[:i]
	}
}

// keepFunc decides whether an entry below a copied tree's root is
// included: abs is its path, typ one of "regular", "directory", "symlink",
// "unknown" (the arguments of a Nix path filter).
type keepFunc func(abs, typ string) bool

// fileType names a file's type as Nix's path filters see it.
func fileType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "unknown"
}

// dumpTree writes the NAR of the tree at root, read through fsys, to w.
// keep (if not nil) filters entries below the root; leftOut records the
// paths it rejected, relative to root. w gets many small writes: give it
// a hash or a buffered writer.
func dumpTree(ctx context.Context, fsys eval.IO, w io.Writer, root string, keep keepFunc, leftOut map[string]bool) error {
	fi, err := fsys.Lstat(ctx, root)
	if err != nil {
		return err
	}
	e := &narEncoder{w: w}
	e.token(narMagic)
	if err := dumpNode(ctx, fsys, e, root, "", fi, keep, leftOut); err != nil {
		return err
	}
	return e.err
}

// dumpNode writes one node (as Nix's dumpPath: entries sorted by name,
// "executable" for files the owner may execute).
func dumpNode(ctx context.Context, fsys eval.IO, e *narEncoder, abs, rel string, fi fs.FileInfo, keep keepFunc, leftOut map[string]bool) error {
	m := fi.Mode()
	e.token("(")
	e.token("type")
	switch {
	case m&fs.ModeSymlink != 0:
		t, err := fsys.Readlink(ctx, abs)
		if err != nil {
			return err
		}
		e.token("symlink")
		e.token("target")
		e.token(t)
	case m.IsDir():
		e.token("directory")
		ents, err := fsys.ReadDir(ctx, abs)
		if err != nil {
			return err
		}
		for _, de := range ents {
			name := de.Name()
			cabs := abs + "/" + name
			if abs == "/" {
				cabs = "/" + name
			}
			crel := name
			if rel != "" {
				crel = rel + "/" + name
			}
			cfi, err := fsys.Lstat(ctx, cabs)
			if err != nil {
				return err
			}
			if keep != nil && !keep(cabs, fileType(cfi.Mode())) {
				if leftOut != nil {
					leftOut[crel] = true
				}
				continue
			}
			e.token("entry")
			e.token("(")
			e.token("name")
			e.token(name)
			e.token("node")
			if err := dumpNode(ctx, fsys, e, cabs, crel, cfi, keep, leftOut); err != nil {
				return err
			}
			e.token(")")
		}
	case m.IsRegular():
		data, err := fsys.ReadFile(ctx, abs)
		if err != nil {
			return err
		}
		e.token("regular")
		if m.Perm()&0o100 != 0 {
			e.token("executable")
			e.token("")
		}
		e.token("contents")
		e.bytes(data)
	default:
		return fmt.Errorf("file '%s' has an unsupported type", abs)
	}
	e.token(")")
	return nil
}

// narMagic starts every NAR.
const narMagic = "nix-archive-1"

// narEncoder writes the tokens of a NAR (Nix's string framing: a 64-bit
// little-endian length, the bytes, zeros to a multiple of 8) straight to
// a writer, without a buffer of its own: hashing a few small files does
// not pay for one.
type narEncoder struct {
	w   io.Writer
	err error
	hdr [8]byte
}

var narPadding [8]byte

func (e *narEncoder) bytes(b []byte) {
	if e.err != nil {
		return
	}
	binary.LittleEndian.PutUint64(e.hdr[:], uint64(len(b)))
	if _, e.err = e.w.Write(e.hdr[:]); e.err != nil {
		return
	}
	if _, e.err = e.w.Write(b); e.err != nil {
		return
	}
	if pad := (8 - len(b)%8) % 8; pad > 0 {
		_, e.err = e.w.Write(narPadding[:pad])
	}
}

func (e *narEncoder) token(s string) {
	if e.err != nil {
		return
	}
	// Tokens are short: frame them in one write.
	var buf [64]byte
	if len(s) <= len(buf)-16 {
		binary.LittleEndian.PutUint64(buf[:8], uint64(len(s)))
		n := 8 + copy(buf[8:], s)
		n += (8 - len(s)%8) % 8
		_, e.err = e.w.Write(buf[:n])
		return
	}
	e.bytes([]byte(s))
}

// addSource records the tree at root as a store path named name, hashed
// with method (sha256), as Nix's addToStore / computeStorePathForPath.
// refs are references the copy keeps (a copy of a store path keeps that
// path's references).
func (g *Glue) addSource(ctx context.Context, name, root string, method storepath.Method, keep keepFunc, refs []string) (*pathEntry, error) {
	if err := storepath.ValidateName(name); err != nil {
		return nil, fmt.Errorf("invalid name for the store path of '%s': %s", root, nameError(err))
	}
	fsys := &storeIO{g: g, base: g.io}
	src := &sourceCopy{root: root, method: method}
	var h nixhash.Hash
	var narSize uint64
	switch method {
	case storepath.Flat:
		data, err := fsys.ReadFile(ctx, root)
		if err != nil {
			return nil, err
		}
		h = nixhash.Sum(nixhash.SHA256, data)
	default:
		hw := nixhash.NewWriter(nixhash.SHA256)
		if keep != nil {
			src.excl = map[string]bool{}
		}
		if err := dumpTree(ctx, fsys, hw, root, keep, src.excl); err != nil {
			return nil, err
		}
		h, narSize = hw.Sum(), uint64(hw.Len())
	}
	var sps []storepath.StorePath
	refs = sortedSet(refs)
	for _, r := range refs {
		p, err := g.dir.Parse(r)
		if err != nil {
			return nil, err
		}
		sps = append(sps, p)
	}
	p, err := g.dir.MakeFixedOutputPath(method, h, name, sps, false)
	if err != nil {
		return nil, err
	}
	printed := g.dir.Print(p)
	if e, ok := g.paths[printed]; ok {
		return e, nil
	}
	e := &pathEntry{
		path: p, printed: printed, refs: refs, src: src,
		ca: storepath.ContentAddress{Method: method, Hash: h},
	}
	if method == storepath.Recursive {
		e.narHash, e.narSize = h, narSize
	}
	g.record(e)
	return e, nil
}

// copyPathToStore adds a path used in a string ("${./foo}") to the store,
// as Nix's EvalState::copyPathToStore: recursively, named after its base
// name.
func (g *Glue) copyPathToStore(ctx context.Context, p string) (string, error) {
	e, err := g.addSource(ctx, path.Base(p), p, storepath.Recursive, nil, nil)
	if err != nil {
		return "", err
	}
	return e.printed, nil
}

// coercePath converts v to an absolute path as Nix's coerceToPath: a path,
// or a string that starts with "/" (its context is returned).
func coercePath(c eval.Call, v eval.Value, what string) (string, *eval.Context) {
	v = c.ForceValue(v)
	if p, ok := v.(eval.Path); ok {
		return string(p), nil
	}
	s, ctx := c.CoerceValue(v, what, false, false)
	if s == "" || s[0] != '/' {
		c.Errorf(eval.EvalError, "string '%s' doesn't represent an absolute path", s)
	}
	return path.Clean(s), ctx
}

// builtinPath is builtins.path { path, name ? baseNameOf path, filter ?,
// recursive ? true, sha256 ? }.
func (g *Glue) builtinPath(c eval.Call) eval.Value {
	attrs := c.Attrs(0)
	var (
		p, name   string
		pctx      *eval.Context
		filter    eval.Value
		method    = storepath.Recursive
		expected  nixhash.Hash
		hasExpect bool
	)
	for _, a := range attrs.All() {
		switch n := c.Ev.SymName(a.Name); n {
		case "path":
			p, pctx = coercePath(c, a.Value, "while evaluating the 'path' attribute passed to 'builtins.path'")
		case "name":
			name = forceStringNoCtx(c, a.Value, "while evaluating the `name` attribute passed to builtins.path")
		case "filter":
			filter = c.ForceValue(a.Value)
		case "recursive":
			if !c.ForceBool(a.Value, "while evaluating the `recursive` attribute passed to builtins.path") {
				method = storepath.Flat
			}
		case "sha256":
			s := forceStringNoCtx(c, a.Value, "while evaluating the `sha256` attribute passed to builtins.path")
			expected, hasExpect = g.hashAllowEmpty(c, s, nixhash.SHA256), true
		default:
			c.Errorf(eval.EvalError, "unsupported argument '%s' to 'addPath'", n)
		}
	}
	if p == "" {
		c.Errorf(eval.EvalError, "missing required 'path' attribute in the first argument to builtins.path")
	}
	if name == "" {
		name = path.Base(p)
	}
	var exp *nixhash.Hash
	if hasExpect {
		exp = &expected
	}
	return g.addPath(c, name, p, pctx, filter, method, exp)
}

// builtinFilterSource is builtins.filterSource filter path.
func (g *Glue) builtinFilterSource(c eval.Call) eval.Value {
	p, pctx := coercePath(c, c.Args[1], "while evaluating the second argument (the path to filter) passed to builtins.filterSource")
	f := c.Force(0)
	if eval.KindOf(f) != eval.KindFunction {
		c.Errorf(eval.TypeError, "first argument in call to 'filterSource' is not a function but %s", showKind(f))
	}
	return g.addPath(c, path.Base(p), p, pctx, f, storepath.Recursive, nil)
}

func showKind(v eval.Value) string {
	switch eval.KindOf(v) {
	case eval.KindNull:
		return "null"
	case eval.KindBool:
		return "a Boolean"
	case eval.KindInt:
		return "an integer"
	case eval.KindFloat:
		return "a float"
	case eval.KindString:
		return "a string"
	case eval.KindPath:
		return "a path"
	case eval.KindAttrs:
		return "a set"
	case eval.KindList:
		return "a list"
	}
	return "a function"
}

// addPath is Nix's addPath, shared by builtins.path and filterSource.
func (g *Glue) addPath(c eval.Call, name, p string, pctx *eval.Context, filter eval.Value, method storepath.Method, expected *nixhash.Hash) eval.Value {
	ctx := c.Context()
	var res eval.Value
	c.WithFrame("while adding path '"+p+"'", func() {
		if err := g.realiseContext(ctx, pctx.Elems()); err != nil {
			c.Errorf(eval.EvalError, "%v", err)
		}
		// A copy of (part of) a store path keeps its references.
		var refs []string
		if g.inStore(p) && !g.opts.ReadOnly {
			if sp, _, err := g.dir.SplitPath(p); err == nil {
				refs, _ = g.references(ctx, g.dir.Print(sp))
			}
		}
		if expected != nil {
			want, err := g.dir.MakeFixedOutputPath(method, *expected, name, nil, false)
			if err != nil {
				c.Errorf(eval.EvalError, "%v", err)
			}
			if ws := g.dir.Print(want); g.isValidPath(ctx, ws) {
				res = eval.NewString(ws, eval.NewContext(ws))
				return
			}
		}
		var keep keepFunc
		if filter != nil {
			keep = func(abs, typ string) bool {
				r := c.Apply(filter, eval.Str(abs), eval.Str(typ))
				return c.ForceBool(r, "while evaluating the return value of the path filter function")
			}
		}
		e, err := g.addSource(ctx, name, p, method, keep, refs)
		if err != nil {
			c.Errorf(eval.EvalError, "%v", err)
		}
		if expected != nil {
			want, _ := g.dir.MakeFixedOutputPath(method, *expected, name, nil, false)
			if want != e.path {
				c.Errorf(eval.EvalError, "store path mismatch in (possibly filtered) path added from '%s'", p)
			}
		}
		res = eval.NewString(e.printed, eval.NewContext(e.printed))
	})
	return res
}
