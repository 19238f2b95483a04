package eval

import (
	"context"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

func init() {
	register(&Builtin{Name: "toXML", Arity: 1, Fn: builtinToXML})
}

// builtins.toXML: the value as Nix's XML (always strict, without locations).
func builtinToXML(c Call) Value {
	var ctx ContextBuilder
	c.argFrame(0)
	s := c.Ev.xmlString(c.Args[0], true, false, &ctx)
	c.Ev.popFrame()
	return NewString(s, ctx.Context())
}

// WriteXML writes v as `nix-instantiate --eval --xml` does; location adds
// the source positions of attributes and functions (--no-location leaves
// them out).
func (ev *Evaluator) WriteXML(ctx context.Context, w io.Writer, v Value, strict, location bool) error {
	var s string
	err := ev.run(ctx, func() {
		var ctx ContextBuilder
		s = ev.xmlString(v, strict, location, &ctx)
	})
	if err != nil {
		return err
	}
	_, werr := io.WriteString(w, s)
	return werr
}

type xmlWriter struct {
	b     strings.Builder
	stack []string
}

type xmlAttr struct{ k, v string }

func (w *xmlWriter) indent() { w.b.WriteString(strings.Repeat("  ", len(w.stack))) }

func (w *xmlWriter) attrs(as []xmlAttr) {
	sort.Slice(as, func(i, j int) bool { return as[i].k < as[j].k })
	for _, a := range as {
		w.b.WriteString(" " + a.k + "=\"")
		for i := 0; i < len(a.v); i++ {
			switch c := a.v[i]; c {
			case '"':
				w.b.WriteString("&quot;")
			case '<':
				w.b.WriteString("&lt;")
			case '>':
				w.b.WriteString("&gt;")
			case '&':
				w.b.WriteString("&amp;")
			case '\n':
				w.b.WriteString("&#xA;")
			default:
				w.b.WriteByte(c)
			}
		}
		w.b.WriteString("\"")
	}
}

func (w *xmlWriter) open(name string, as ...xmlAttr) {
	w.indent()
	w.b.WriteString("<" + name)
	w.attrs(as)
	w.b.WriteString(">\n")
	w.stack = append(w.stack, name)
}

func (w *xmlWriter) close() {
	name := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	w.indent()
	w.b.WriteString("</" + name + ">\n")
}

func (w *xmlWriter) empty(name string, as ...xmlAttr) {
	w.indent()
	w.b.WriteString("<" + name)
	w.attrs(as)
	w.b.WriteString(" />\n")
}

func (ev *Evaluator) xmlString(v Value, strict, location bool, ctx *ContextBuilder) string {
	w := &xmlWriter{}
	w.b.WriteString("<?xml version='1.0' encoding='utf-8'?>\n")
	w.open("expr")
	ev.writeXML(w, v, strict, location, ctx, map[string]bool{}, syntax.NoPos)
	w.close()
	return w.b.String()
}

func (ev *Evaluator) posXML(as []xmlAttr, p syntax.Pos) []xmlAttr {
	pos := ev.fset.Position(p)
	switch {
	case strings.HasPrefix(pos.Filename, "/"):
		as = append(as, xmlAttr{"path", pos.Filename})
	case pos.Filename == "«string»" || pos.Filename == "«stdin»":
		// Nix 2.8 names an expression given as text (-E, standard
		// input) by that text.
		if f := ev.fset.File(p); f != nil {
			as = append(as, xmlAttr{"path", string(f.Source())})
		}
	}
	return append(as, xmlAttr{"line", strconv.Itoa(pos.Line)}, xmlAttr{"column", strconv.Itoa(pos.Column)})
}

func (ev *Evaluator) writeXML(w *xmlWriter, v Value, strict, location bool, ctx *ContextBuilder, drvsSeen map[string]bool, pos syntax.Pos) {
	ev.enterDeep(pos)
	if strict {
		v = ev.force(v)
	} else if t, ok := v.(*Thunk); ok && t.env == nil {
		v = t.v
	}
	switch x := v.(type) {
	case Int:
		w.empty("int", xmlAttr{"value", strconv.FormatInt(int64(x), 10)})
	case Bool:
		s := "false"
		if x {
			s = "true"
		}
		w.empty("bool", xmlAttr{"value", s})
	case *String:
		ctx.Add(x.ctx)
		w.empty("string", xmlAttr{"value", x.s})
	case Path:
		w.empty("path", xmlAttr{"value", string(x)})
	case Null:
		w.empty("null")
	case Float:
		w.empty("float", xmlAttr{"value", FormatFloat(float64(x))})
	case *Attrs:
		if ev.isDerivation(x) {
			var as []xmlAttr
			drvPath := ""
			if a := x.get(ev.symbols, ev.s.drvPath); a != nil {
				dv := a.Value
				if strict {
					dv = ev.force(dv)
				}
				if s, ok := dv.(*String); ok {
					drvPath = s.s
					as = append(as, xmlAttr{"drvPath", s.s})
				}
			}
			if a := x.get(ev.symbols, ev.s.outPath); a != nil {
				ov := a.Value
				if strict {
					ov = ev.force(ov)
				}
				if s, ok := ov.(*String); ok {
					as = append(as, xmlAttr{"outPath", s.s})
				}
			}
			w.open("derivation", as...)
			if drvPath != "" && !drvsSeen[drvPath] {
				drvsSeen[drvPath] = true
				ev.xmlAttrs(w, x, strict, location, ctx, drvsSeen)
			} else {
				w.empty("repeated")
			}
			w.close()
		} else {
			w.open("attrs")
			ev.xmlAttrs(w, x, strict, location, ctx, drvsSeen)
			w.close()
		}
	case *List:
		w.open("list")
		for _, e := range x.elems {
			ev.writeXML(w, e, strict, location, ctx, drvsSeen, pos)
		}
		w.close()
	case *Lambda:
		var as []xmlAttr
		if location {
			as = ev.posXML(as, x.fn.at)
		}
		w.open("function", as...)
		if x.fn.hasForms {
			var pa []xmlAttr
			if x.fn.param >= 0 {
				pa = append(pa, xmlAttr{"name", x.fn.pname})
			}
			if x.fn.ellipsis {
				pa = append(pa, xmlAttr{"ellipsis", "1"})
			}
			w.open("attrspat", pa...)
			names := make([]string, len(x.fn.formals))
			for i, f := range x.fn.formals {
				names[i] = ev.symbols.name(f.name)
			}
			sort.Strings(names)
			for _, n := range names {
				w.empty("attr", xmlAttr{"name", n})
			}
			w.close()
		} else {
			w.empty("varpat", xmlAttr{"name", x.fn.pname})
		}
		w.close()
	default:
		w.empty("unevaluated")
	}
	ev.leaveDeep()
}

func (ev *Evaluator) xmlAttrs(w *xmlWriter, a *Attrs, strict, location bool, ctx *ContextBuilder, drvsSeen map[string]bool) {
	for _, at := range a.all() {
		as := []xmlAttr{{"name", ev.symbols.name(at.Name)}}
		if location && at.Pos.IsValid() {
			as = ev.posXML(as, at.Pos)
		}
		w.open("attr", as...)
		ev.writeXML(w, at.Value, strict, location, ctx, drvsSeen, at.Pos)
		w.close()
	}
}
