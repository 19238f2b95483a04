package eval

import (
	"slices"
	"strconv"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// showExpr renders an expression as Nix's Expr::show does, for messages
// such as "assertion '(x == 1)' failed": the tree as Nix's parser builds
// it (operators that are calls shown as calls, attributes and formals
// sorted, paths absolute). baseDir and home resolve relative and ~/ paths
// as the compiler does.
func showExpr(e syntax.Expr, baseDir, home string) string {
	sh := shower{baseDir: baseDir, home: home}
	sh.show(e)
	return sh.b.String()
}

type shower struct {
	b             strings.Builder
	baseDir, home string
}

func (sh *shower) str(s string) { sh.b.WriteString(s) }

// ident writes a name as Nix's printIdentifier: quoted unless it is a
// plain identifier.
func (sh *shower) ident(s string) {
	if isPlainIdent(s) {
		sh.str(s)
		return
	}
	if s != "" && isReservedKeyword(s) {
		sh.str(`"` + s + `"`)
		return
	}
	quoteString(&sh.b, s)
}

func isReservedKeyword(s string) bool {
	switch s {
	case "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit":
		return true
	}
	return false
}

func isPlainIdent(s string) bool {
	if s == "" || isReservedKeyword(s) {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '\'' || c == '-') {
			return false
		}
	}
	return true
}

// call writes (fn args...), Nix's ExprCall.
func (sh *shower) call(fn string, args ...syntax.Expr) {
	sh.str("(" + fn)
	for _, a := range args {
		sh.str(" ")
		sh.show(a)
	}
	sh.str(")")
}

func (sh *shower) show(e syntax.Expr) {
	switch e := e.(type) {
	case *syntax.Int:
		sh.str(strconv.FormatInt(e.Value, 10))
	case *syntax.Float:
		sh.str(FormatFloat(e.Value))
	case *syntax.Lit:
		quoteString(&sh.b, e.Value)
	case *syntax.String:
		if s, ok := syntax.ConstantString(e); ok {
			quoteString(&sh.b, s)
			return
		}
		sh.str("(")
		first := true
		for _, p := range e.Parts {
			if l, ok := p.(*syntax.Lit); ok && l.Value == "" {
				continue
			}
			if !first {
				sh.str(" + ")
			}
			first = false
			sh.show(p)
		}
		sh.str(")")
	case *syntax.Path:
		sh.path(e)
	case *syntax.SearchPath:
		// <p> is __findFile __nixPath "p".
		sh.str("(__findFile __nixPath ")
		quoteString(&sh.b, e.Path)
		sh.str(")")
	case *syntax.URI:
		quoteString(&sh.b, e.Value)
	case *syntax.Ident:
		sh.ident(e.Name)
	case *syntax.CurPos:
		sh.str("__curPos")
	case *syntax.AttrSet:
		if e.Rec {
			sh.str("rec ")
		}
		sh.str("{ ")
		sh.bindings(e.Attrs, e.DynamicAttrs)
		sh.str("}")
	case *syntax.List:
		sh.str("[ ")
		for _, x := range e.Elems {
			sh.str("(")
			sh.show(x)
			sh.str(") ")
		}
		sh.str("]")
	case *syntax.Let:
		sh.str("(let ")
		sh.bindings(e.Attrs, nil)
		sh.str("in ")
		sh.show(e.Body)
		sh.str(")")
	case *syntax.LegacyLet:
		// let { ... } is (rec { ... }).body.
		sh.str("(")
		sh.show(e.Set)
		sh.str(").body")
	case *syntax.With:
		sh.str("(with ")
		sh.show(e.Env)
		sh.str("; ")
		sh.show(e.Body)
		sh.str(")")
	case *syntax.If:
		sh.str("(if ")
		sh.show(e.Cond)
		sh.str(" then ")
		sh.show(e.Then)
		sh.str(" else ")
		sh.show(e.Else)
		sh.str(")")
	case *syntax.Assert:
		sh.str("assert ")
		sh.show(e.Cond)
		sh.str("; ")
		sh.show(e.Body)
	case *syntax.Lambda:
		sh.str("(")
		if e.Formals != nil {
			sh.str("{ ")
			formals := slices.Clone(e.Formals.Formals)
			slices.SortFunc(formals, func(a, b *syntax.Formal) int { return strings.Compare(a.Name, b.Name) })
			for i, f := range formals {
				if i > 0 {
					sh.str(", ")
				}
				sh.ident(f.Name)
				if f.Default != nil {
					sh.str(" ? ")
					sh.show(f.Default)
				}
			}
			if e.Formals.Ellipsis {
				if len(formals) > 0 {
					sh.str(", ")
				}
				sh.str("...")
			}
			sh.str(" }")
			if e.Param != "" {
				sh.str(" @ ")
			}
		}
		if e.Param != "" {
			sh.ident(e.Param)
		}
		sh.str(": ")
		sh.show(e.Body)
		sh.str(")")
	case *syntax.Call:
		sh.str("(")
		sh.show(e.Fn)
		for _, a := range e.Args {
			sh.str(" ")
			sh.show(a)
		}
		sh.str(")")
	case *syntax.Select:
		sh.str("(")
		sh.show(e.X)
		sh.str(").")
		sh.attrPath(e.Path)
		if e.Default != nil {
			sh.str(" or (")
			sh.show(e.Default)
			sh.str(")")
		}
	case *syntax.HasAttr:
		sh.str("((")
		sh.show(e.X)
		sh.str(") ? ")
		sh.attrPath(e.Path)
		sh.str(")")
	case *syntax.Unary:
		if e.Op == syntax.OpNot {
			sh.str("(! ")
			sh.show(e.X)
			sh.str(")")
		} else {
			sh.call("__sub 0", e.X)
		}
	case *syntax.Binary:
		sh.binary(e)
	default:
		sh.str("...")
	}
}

// binary shows an operator as the expression Nix's parser makes of it.
func (sh *shower) binary(e *syntax.Binary) {
	switch e.Op {
	case syntax.OpSub:
		sh.call("__sub", e.X, e.Y)
	case syntax.OpMul:
		sh.call("__mul", e.X, e.Y)
	case syntax.OpDiv:
		sh.call("__div", e.X, e.Y)
	case syntax.OpLess:
		sh.call("__lessThan", e.X, e.Y)
	case syntax.OpGreater:
		sh.call("__lessThan", e.Y, e.X)
	case syntax.OpLEq:
		sh.str("(! ")
		sh.call("__lessThan", e.Y, e.X)
		sh.str(")")
	case syntax.OpGEq:
		sh.str("(! ")
		sh.call("__lessThan", e.X, e.Y)
		sh.str(")")
	case syntax.OpPipeRight, syntax.OpPipeLeft:
		// x |> f and f <| x are calls; an argument is added to a call
		// on the function's side, as Nix's makeCall does.
		fn, arg := e.Y, e.X
		if e.Op == syntax.OpPipeLeft {
			fn, arg = e.X, e.Y
		}
		if c, ok := fn.(*syntax.Call); ok {
			sh.show(&syntax.Call{At: c.At, Fn: c.Fn, Args: append(slices.Clip(c.Args), arg)})
			return
		}
		sh.show(&syntax.Call{At: e.At, Fn: fn, Args: []syntax.Expr{arg}})
	default:
		sh.str("(")
		sh.show(e.X)
		sh.str(" " + e.Op.String() + " ")
		sh.show(e.Y)
		sh.str(")")
	}
}

// bindings is Nix's ExprAttrs::showBindings: inherited names, then the
// inherit (e) clauses, then the other attributes, each group sorted by
// name; then the dynamic attributes in source order.
func (sh *shower) bindings(attrs []*syntax.Attr, dyn []*syntax.DynamicAttr) {
	sorted := slices.Clone(attrs)
	slices.SortStableFunc(sorted, func(a, b *syntax.Attr) int { return strings.Compare(a.Name, b.Name) })
	var inherits []string
	var froms []syntax.Expr // in the order of the clauses
	for _, a := range attrs {
		if a.Inherited && a.From != nil && !slices.Contains(froms, a.From) {
			froms = append(froms, a.From)
		}
	}
	for _, a := range sorted {
		if a.Inherited && a.From == nil {
			inherits = append(inherits, a.Name)
		}
	}
	if len(inherits) > 0 {
		sh.str("inherit")
		for _, n := range inherits {
			sh.str(" ")
			sh.ident(n)
		}
		sh.str("; ")
	}
	for _, from := range froms {
		sh.str("inherit (")
		sh.show(from)
		sh.str(")")
		for _, a := range sorted {
			if a.Inherited && a.From == from {
				sh.str(" ")
				sh.ident(a.Name)
			}
		}
		sh.str("; ")
	}
	for _, a := range sorted {
		if !a.Inherited {
			sh.ident(a.Name)
			sh.str(" = ")
			sh.show(a.Value)
			sh.str("; ")
		}
	}
	for _, d := range dyn {
		sh.str("\"${")
		sh.show(d.Name)
		sh.str("}\" = ")
		sh.show(d.Value)
		sh.str("; ")
	}
}

// attrPath is Nix's showAttrSelectionPath.
func (sh *shower) attrPath(path []*syntax.AttrName) {
	for i, p := range path {
		if i > 0 {
			sh.str(".")
		}
		if p.Dynamic != nil {
			sh.str("\"${")
			sh.show(p.Dynamic)
			sh.str("}\"")
		} else {
			sh.ident(p.Name)
		}
	}
}

// path shows a path literal: its absolute path, or for one with
// interpolations the concatenation Nix makes of it, starting with the
// absolute path of the literal start (keeping a trailing slash).
func (sh *shower) path(e *syntax.Path) {
	start := ""
	if first, ok := e.Parts[0].(*syntax.Lit); ok {
		start = first.Value
	}
	abs := canonPath(pathLiteralAbs(e.Kind, start, sh.baseDir, sh.home))
	if len(e.Parts) == 1 {
		sh.str(abs)
		return
	}
	if strings.HasSuffix(start, "/") && abs != "/" {
		abs += "/"
	}
	sh.str("(" + abs)
	for _, p := range e.Parts[1:] {
		sh.str(" + ")
		sh.show(p)
	}
	sh.str(")")
}

// pathLiteralAbs makes the start of a path literal absolute: against
// baseDir, or home for ~/ (not canonicalised).
func pathLiteralAbs(kind syntax.PathKind, start, baseDir, home string) string {
	switch kind {
	case syntax.PathHome:
		return home + strings.TrimPrefix(start, "~")
	case syntax.PathAbsolute:
		return start
	}
	return baseDir + "/" + start
}
