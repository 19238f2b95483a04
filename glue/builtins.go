package glue

import (
	"context"
	_ "embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/govix/govix/eval"
)

// builtins are the store-aware builtins the glue adds to (or replaces in)
// the evaluator.
func (g *Glue) builtins() []*eval.Builtin {
	return []*eval.Builtin{
		{Name: "derivationStrict", Arity: 1, Global: true, Fn: g.derivationStrict},
		{Name: "toFile", Arity: 2, Fn: g.builtinToFile},
		{Name: "path", Arity: 1, Fn: g.builtinPath},
		{Name: "filterSource", Arity: 2, Fn: g.builtinFilterSource},
		{Name: "storePath", Arity: 1, Fn: g.builtinStorePath},
		{Name: "fetchurl", Arity: 1, Fn: g.builtinFetchurl},
		{Name: "fetchTarball", Arity: 1, Global: true, Fn: g.builtinFetchTarball},
		{Name: "fetchGit", Arity: 1, Fn: g.builtinFetchGit},
		{Name: "fetchTree", Arity: 1, Fn: g.builtinFetchTree},
	}
}

// internalFiles are Nix's internal files, <nix/NAME>.
var internalFiles = map[string][]byte{
	"fetchurl.nix": fetchurlNix,
}

//go:embed fetchurl.nix
var fetchurlNix []byte

// builtinToFile is builtins.toFile name contents: a text path whose
// references are the store paths in the contents' context.
func (g *Glue) builtinToFile(c eval.Call) eval.Value {
	name := c.StringNoCtx(0)
	s := c.String(1)
	var refs []string
	for _, e := range s.Context().Elems() {
		if !strings.HasPrefix(e, "/") {
			c.Errorf(eval.EvalError, "files created by builtins.toFile may not reference derivations, but %s references %s",
				name, showContextElem(e))
		}
		refs = append(refs, e)
	}
	e, err := g.addText(name, []byte(s.String()), refs, true)
	if err != nil {
		c.Errorf(eval.EvalError, "%v", err)
	}
	return eval.NewString(e.printed, eval.NewContext(e.printed))
}

// builtinStorePath is builtins.storePath path: a path in the store, as a
// string whose context is that store path.
func (g *Glue) builtinStorePath(c eval.Call) eval.Value {
	if g.pure {
		c.Errorf(eval.EvalError, "'%s' is not allowed in pure evaluation mode", "builtins.storePath")
	}
	p, _ := coercePath(c, c.Args[0], "while evaluating the first argument passed to builtins.storePath")
	ctx := c.Context()
	// Resolve symlinks in p, unless p itself is a symlink directly in
	// the store.
	if _, err := g.dir.Parse(p); err != nil {
		if r, err := g.realPath(ctx, p); err == nil {
			p = r
		}
	}
	if !g.inStore(p) {
		c.Errorf(eval.EvalError, "path '%s' is not in the Nix store", p)
	}
	sp, _, err := g.dir.SplitPath(p)
	if err != nil {
		c.Errorf(eval.EvalError, "%v", err)
	}
	top := g.dir.Print(sp)
	if !g.opts.ReadOnly && !g.isValidPath(ctx, top) {
		c.Errorf(eval.EvalError, "path '%s' is not valid", top)
	}
	return eval.NewString(p, eval.NewContext(top))
}

// realiseContext makes sure the store paths a path's context names exist
// before the path is read, as Nix's realiseContext: paths must be valid
// (created in this evaluation, in the store, or on disk), and outputs of
// derivations built, which would take import from derivation.
func (g *Glue) realiseContext(ctx context.Context, elems []string) error {
	for _, e := range elems {
		switch {
		case strings.HasPrefix(e, "!"):
			out, drvPath, _ := strings.Cut(e[1:], "!")
			p, err := g.outputPath(ctx, drvPath, out)
			if err != nil {
				return err
			}
			if p == "" || !g.isValidPath(ctx, p) {
				if err := g.importFromDerivation(ctx, drvPath, out, p); err != nil {
					return err
				}
			}
		default:
			p := strings.TrimPrefix(e, "=")
			if _, err := g.dir.Parse(p); err != nil || !g.isValidPath(ctx, p) {
				return fmt.Errorf("path '%s' is not valid", p)
			}
		}
	}
	return nil
}

// importFromDerivation builds an output the evaluation reads, through
// Options.Realise: the paths created so far are written first, since the
// builder reads the derivation and its inputs from the store.
func (g *Glue) importFromDerivation(ctx context.Context, drvPath, out, outPath string) error {
	if g.opts.Realise == nil || g.opts.ReadOnly || outPath == "" {
		return fmt.Errorf("cannot build '%s^%s' during evaluation: import from derivation needs a builder, and this evaluation has none", drvPath, out)
	}
	if err := g.Flush(ctx); err != nil {
		return err
	}
	st, err := g.store(ctx)
	if err != nil {
		return err
	}
	if err := g.opts.Realise(ctx, st, drvPath, []string{out}); err != nil {
		return fmt.Errorf("cannot build '%s^%s' during evaluation: %w", drvPath, out, err)
	}
	g.view.forget(outPath)
	if !g.isValidPath(ctx, outPath) {
		return fmt.Errorf("building '%s^%s' did not produce '%s'", drvPath, out, outPath)
	}
	return nil
}

// realPath resolves the symbolic links in an absolute path, through the
// store view (Nix's canonPath with resolveSymlinks).
func (g *Glue) realPath(ctx context.Context, p string) (string, error) {
	fsys := &storeIO{g: g, base: g.io}
	parts := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	cur := ""
	links := 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			if cur = path.Dir(cur); cur == "/" || cur == "." {
				cur = ""
			}
			continue
		}
		next := cur + "/" + part
		fi, err := fsys.Lstat(ctx, next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("infinite symlink recursion in path '%s'", p)
		}
		t, err := fsys.Readlink(ctx, next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(t, "/") {
			cur = ""
		}
		parts = append(strings.Split(t, "/"), parts...)
	}
	if cur == "" {
		return "/", nil
	}
	return cur, nil
}
