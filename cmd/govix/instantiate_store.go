package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/glue"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/backend"
)

// instantiateStore gives `govix instantiate` its store: the glue's
// store-aware builtins, in read-only mode for --eval without
// --read-write-mode (paths are computed, nothing is written, and the
// store is not even opened unless a fetcher needs it), and writing
// derivations otherwise.
type instantiateStore struct {
	g        *glue.Glue
	stderr   io.Writer
	gcWarned bool
}

// newInstantiateStore configures o's evaluator options with a store.
func newInstantiateStore(o *instantiateOpts, stderr io.Writer) *instantiateStore {
	url := o.storeURL
	cacheDir := ""
	if home, err := govixHome(); err == nil {
		cacheDir = filepath.Join(home, "cache", "fetch")
	}
	g := glue.New(glue.Options{
		CacheDir: cacheDir,
		ReadOnly: o.evalOnly && !o.readWrite,
		OpenStore: func(ctx context.Context) (*store.Store, error) {
			if url == "" {
				var err error
				if url, err = defaultStoreURL(); err != nil {
					return nil, err
				}
			}
			return backend.Open(ctx, url)
		},
		Stderr:  stderr,
		Realise: o.realise,
	})
	g.Configure(&o.evalOpts)
	return &instantiateStore{g: g, stderr: stderr}
}

// flush writes what the evaluation created into the store.
func (s *instantiateStore) flush(ctx context.Context) error { return s.g.Flush(ctx) }

// close closes the store if it was opened.
func (s *instantiateStore) close() error { return s.g.Close() }

// derivations instantiates the derivations in v as nix-instantiate does
// without --eval (Nix's getDerivations: v itself, the derivations in a
// set (and in nested sets with recurseForDerivations = true), or in a
// list), writes them into the store, and returns the lines to print:
// each store derivation's path, with "!OUTPUT" for an output other than
// out.
func (s *instantiateStore) derivations(ctx context.Context, ev *eval.Evaluator, v eval.Value, autoArgs *eval.Attrs) ([]string, error) {
	w := &drvWalker{ctx: ctx, ev: ev, autoArgs: autoArgs, done: map[*eval.Attrs]bool{}}
	if err := w.walk(v); err != nil {
		return nil, err
	}
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	if len(w.lines) > 0 && !s.gcWarned {
		s.gcWarned = true
		fmt.Fprintln(s.stderr, "warning: you did not specify '--add-root'; the result might be removed by the garbage collector")
	}
	return w.lines, nil
}

// drvWalker finds derivations in a value, as Nix's getDerivations.
type drvWalker struct {
	ctx      context.Context
	ev       *eval.Evaluator
	autoArgs *eval.Attrs
	done     map[*eval.Attrs]bool
	lines    []string
}

// attrNameRE is the attribute names getDerivations looks into.
var attrNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_+-]*$`)

func (w *drvWalker) walk(v eval.Value) error {
	v, err := w.ev.AutoCall(w.ctx, v, w.autoArgs)
	if err != nil {
		return err
	}
	more, err := w.add(v)
	if err != nil || !more {
		return err
	}
	switch x := v.(type) {
	case *eval.Attrs:
		recurse := w.ev.Intern("recurseForDerivations")
		for _, name := range w.ev.AttrNames(x) {
			if !attrNameRE.MatchString(name) {
				continue
			}
			av, _ := w.ev.Get(x, name)
			more, err := w.add(av)
			if err != nil {
				return err
			}
			if !more {
				continue
			}
			fv, err := w.ev.Force(w.ctx, av)
			if err != nil {
				return err
			}
			a, ok := fv.(*eval.Attrs)
			if !ok {
				continue
			}
			rv, ok := w.ev.Get(a, w.ev.SymName(recurse))
			if !ok {
				continue
			}
			rv, err = w.ev.Force(w.ctx, rv)
			if err != nil {
				return err
			}
			b, isBool := rv.(eval.Bool)
			if !isBool {
				return fmt.Errorf("value is %s while a Boolean was expected", eval.KindOf(rv))
			}
			if b {
				if err := w.walk(fv); err != nil {
					return err
				}
			}
		}
		return nil
	case *eval.List:
		for _, e := range x.Elems() {
			more, err := w.add(e)
			if err != nil {
				return err
			}
			if more {
				if err := w.walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return fmt.Errorf("expression does not evaluate to a derivation (or a set or list of those)")
}

// add records v if it is a derivation not seen yet. more reports that v
// is not a derivation (so its contents may be).
func (w *drvWalker) add(v eval.Value) (more bool, err error) {
	v, err = w.ev.Force(w.ctx, v)
	if err != nil {
		return false, err
	}
	a, ok := v.(*eval.Attrs)
	if !ok {
		return true, nil
	}
	t, ok := w.ev.Get(a, "type")
	if !ok {
		return true, nil
	}
	if t, err = w.ev.Force(w.ctx, t); err != nil {
		return false, err
	}
	if s, ok := t.(*eval.String); !ok || s.String() != "derivation" {
		return true, nil
	}
	if w.done[a] {
		return false, nil
	}
	w.done[a] = true
	str := func(name string) (string, error) {
		v, ok := w.ev.Get(a, name)
		if !ok {
			return "", nil
		}
		return w.ev.CoerceToString(w.ctx, v)
	}
	if _, err := str("name"); err != nil {
		return false, err
	}
	drvPath, err := str("drvPath")
	if err != nil {
		return false, err
	}
	out, err := str("outputName")
	if err != nil {
		return false, err
	}
	if out == "" {
		return false, fmt.Errorf("derivation '%s' lacks an 'outputName' attribute", drvPath)
	}
	line := drvPath
	if out != "out" {
		line += "!" + out
	}
	w.lines = append(w.lines, line)
	return false, nil
}
