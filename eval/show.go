package eval

import (
	"strconv"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// showExpr renders an expression as Nix shows it in messages such as
// "assertion '(x == 1)' failed".
func showExpr(e syntax.Expr) string {
	var b strings.Builder
	show(&b, e)
	return b.String()
}

func show(b *strings.Builder, e syntax.Expr) {
	switch e := e.(type) {
	case *syntax.Int:
		b.WriteString(strconv.FormatInt(e.Value, 10))
	case *syntax.Float:
		b.WriteString(formatFloat(e.Value))
	case *syntax.Lit:
		quoteString(b, e.Value)
	case *syntax.String:
		if len(e.Parts) == 1 {
			if l, ok := e.Parts[0].(*syntax.Lit); ok {
				quoteString(b, l.Value)
				return
			}
		}
		b.WriteString("(")
		for i, p := range e.Parts {
			if i > 0 {
				b.WriteString(" + ")
			}
			show(b, p)
		}
		b.WriteString(")")
	case *syntax.Path:
		b.WriteString(showPathLit(e))
	case *syntax.SearchPath:
		b.WriteString("<" + e.Path + ">")
	case *syntax.URI:
		b.WriteString(e.Value)
	case *syntax.Ident:
		b.WriteString(e.Name)
	case *syntax.CurPos:
		b.WriteString("__curPos")
	case *syntax.AttrSet:
		if e.Rec {
			b.WriteString("rec ")
		}
		b.WriteString("{ ")
		for _, a := range e.Attrs {
			if a.Inherited {
				b.WriteString("inherit " + a.Name + "; ")
				continue
			}
			b.WriteString(a.Name + " = ")
			show(b, a.Value)
			b.WriteString("; ")
		}
		for _, d := range e.DynamicAttrs {
			b.WriteString("\"${")
			show(b, d.Name)
			b.WriteString("}\" = ")
			show(b, d.Value)
			b.WriteString("; ")
		}
		b.WriteString("}")
	case *syntax.List:
		b.WriteString("[ ")
		for _, x := range e.Elems {
			show(b, x)
			b.WriteString(" ")
		}
		b.WriteString("]")
	case *syntax.Let:
		b.WriteString("(let ")
		for _, a := range e.Attrs {
			b.WriteString(a.Name + " = ")
			show(b, a.Value)
			b.WriteString("; ")
		}
		b.WriteString("in ")
		show(b, e.Body)
		b.WriteString(")")
	case *syntax.With:
		b.WriteString("(with ")
		show(b, e.Env)
		b.WriteString("; ")
		show(b, e.Body)
		b.WriteString(")")
	case *syntax.If:
		b.WriteString("(if ")
		show(b, e.Cond)
		b.WriteString(" then ")
		show(b, e.Then)
		b.WriteString(" else ")
		show(b, e.Else)
		b.WriteString(")")
	case *syntax.Assert:
		b.WriteString("assert ")
		show(b, e.Cond)
		b.WriteString("; ")
		show(b, e.Body)
	case *syntax.Lambda:
		b.WriteString("(")
		if e.Formals != nil {
			b.WriteString("{ ")
			for i, f := range e.Formals.Formals {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(f.Name)
				if f.Default != nil {
					b.WriteString(" ? ")
					show(b, f.Default)
				}
			}
			if e.Formals.Ellipsis {
				if len(e.Formals.Formals) > 0 {
					b.WriteString(", ")
				}
				b.WriteString("...")
			}
			b.WriteString(" }")
			if e.Param != "" {
				b.WriteString(" @ " + e.Param)
			}
		} else {
			b.WriteString(e.Param)
		}
		b.WriteString(": ")
		show(b, e.Body)
		b.WriteString(")")
	case *syntax.Call:
		b.WriteString("(")
		show(b, e.Fn)
		for _, a := range e.Args {
			b.WriteString(" ")
			show(b, a)
		}
		b.WriteString(")")
	case *syntax.Select:
		b.WriteString("(")
		show(b, e.X)
		b.WriteString(")." + showAttrPath(e.Path))
		if e.Default != nil {
			b.WriteString(" or (")
			show(b, e.Default)
			b.WriteString(")")
		}
	case *syntax.HasAttr:
		b.WriteString("((")
		show(b, e.X)
		b.WriteString(") ? " + showAttrPath(e.Path) + ")")
	case *syntax.Unary:
		if e.Op == syntax.OpNot {
			b.WriteString("(! ")
			show(b, e.X)
			b.WriteString(")")
		} else {
			b.WriteString("(__sub 0 ")
			show(b, e.X)
			b.WriteString(")")
		}
	case *syntax.Binary:
		b.WriteString("(")
		show(b, e.X)
		b.WriteString(" " + e.Op.String() + " ")
		show(b, e.Y)
		b.WriteString(")")
	default:
		b.WriteString("...")
	}
}

func showAttrPath(path []*syntax.AttrName) string {
	var parts []string
	for _, p := range path {
		if p.Dynamic != nil {
			parts = append(parts, "\"${"+showExpr(p.Dynamic)+"}\"")
		} else {
			parts = append(parts, p.Name)
		}
	}
	return strings.Join(parts, ".")
}

// showPathLit renders a path literal as written.
func showPathLit(e *syntax.Path) string {
	var b strings.Builder
	for _, p := range e.Parts {
		if l, ok := p.(*syntax.Lit); ok {
			b.WriteString(l.Value)
		} else {
			b.WriteString("${" + showExpr(p) + "}")
		}
	}
	return b.String()
}
