package repl

import (
	"context"
	"os"
	"slices"
	"strings"

	"github.com/govix/govix/eval"
)

// Complete returns the completions of the end of prefix (the line up to
// the cursor), each the whole prefix completed, sorted, as Nix's REPL
// computes them:
//
//   - a word containing '/' is a path: the entries of its directory (not
//     hidden ones) that start with the last component;
//   - a word containing '.' is an attribute path: the expression before
//     the last dot is evaluated (errors are ignored) and its attributes
//     that start with the rest are offered ("pkgs.li" → "pkgs.lib", ...);
//   - otherwise the variables in scope (builtins and bound variables)
//     that start with the word.
func (s *Session) Complete(ctx context.Context, prefix string) []string {
	start := strings.LastIndexAny(prefix, " \n\r\t(){}[]")
	prev, cur := prefix[:start+1], prefix[start+1:]
	set := map[string]bool{}
	if slash := strings.LastIndexByte(cur, '/'); slash >= 0 {
		dir, base := cur[:slash], cur[slash+1:]
		d := dir
		if d == "" {
			d = "/"
		} else if !strings.HasPrefix(d, "/") && s.opts.Dir != "" {
			d = s.opts.Dir + "/" + d
		}
		if entries, err := os.ReadDir(d); err == nil {
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), ".") && strings.HasPrefix(e.Name(), base) {
					set[prev+dir+"/"+e.Name()] = true
				}
			}
		}
	} else if dot := strings.LastIndexByte(cur, '.'); dot < 0 {
		for _, n := range s.ev.GlobalNames() {
			if strings.HasPrefix(n, cur) {
				set[prev+n] = true
			}
		}
		for n := range s.vars {
			if strings.HasPrefix(n, cur) {
				set[prev+n] = true
			}
		}
	} else {
		expr, rest := cur[:dot], cur[dot+1:]
		if v, err := s.evalString(ctx, expr); err == nil {
			if a, ok := v.(*eval.Attrs); ok {
				for name := range s.ev.Each(a) {
					if strings.HasPrefix(name, rest) {
						set[prev+expr+"."+name] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
