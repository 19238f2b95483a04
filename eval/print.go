package eval

import (
	"context"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/govix/govix/eval/syntax"
)

// FormatFloat prints a float as Nix does (C++ ostream defaults: %g with six
// significant digits).
func FormatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// quoteString writes s as a Nix string literal.
func quoteString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString("\\n")
		case '\r':
			b.WriteString("\\r")
		case '\t':
			b.WriteString("\\t")
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteString("\\$")
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// printAmbiguous writes v as nix-instantiate --eval prints it: values not
// yet evaluated show as <CODE>, functions as <LAMBDA> and <PRIMOP>, and a
// set or list met again as «repeated».
func (ev *Evaluator) printAmbiguous(b *strings.Builder, v Value, seen map[any]bool, depth int) {
	if depth > ev.maxCallDepth {
		ev.stackOverflow(syntax.NoPos)
	}
	stored := v
	if t, ok := v.(*Thunk); ok {
		if t.env != nil {
			if _, bh := t.v.(*blackholeNode); bh {
				b.WriteString("«potential infinite recursion»")
			} else {
				b.WriteString("<CODE>")
			}
			return
		}
		v = t.v
	}
	switch x := v.(type) {
	case Int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case Bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *String:
		quoteString(b, x.s)
	case Path:
		b.WriteString(string(x))
	case Null:
		b.WriteString("null")
	case Float:
		b.WriteString(FormatFloat(float64(x)))
	case *Attrs:
		if x.Len() > 0 {
			if seen[x] {
				b.WriteString("«repeated»")
				return
			}
			seen[x] = true
		}
		b.WriteString("{ ")
		for _, a := range x.all() {
			printIdentifier(b, ev.symbols.name(a.Name))
			b.WriteString(" = ")
			ev.printAmbiguous(b, a.Value, seen, depth+1)
			b.WriteString("; ")
		}
		b.WriteString("}")
	case *List:
		if len(x.elems) > 0 {
			if seen[stored] {
				b.WriteString("«repeated»")
				return
			}
			seen[stored] = true
		}
		b.WriteString("[ ")
		for _, e := range x.elems {
			ev.printAmbiguous(b, e, seen, depth+1)
			b.WriteString(" ")
		}
		b.WriteString("]")
	case *Lambda:
		b.WriteString("<LAMBDA>")
	case *PrimOp:
		b.WriteString("<PRIMOP>")
	case *PrimOpApp:
		b.WriteString("<PRIMOP-APP>")
	default:
		b.WriteString("<CODE>")
	}
}

// PrintOptions control how values are shown by the pretty printer (used
// in error messages, traces and the REPL).
type PrintOptions struct {
	Force           bool // force values while printing
	DerivationPaths bool // show derivations as «derivation /nix/store/…drv»
	NoTrackRepeated bool // do not replace values seen before by «repeated»
	MaxDepth        int  // 0: unlimited
	MaxAttrs        int  // in total; 0: unlimited
	MaxListItems    int  // in total; 0: unlimited
	MaxStringLength int  // 0: unlimited
	PrettyIndent    int  // >0: one item per line, indented
}

// errorPrintOptions are the limits Nix uses to show values in errors.
var errorPrintOptions = PrintOptions{MaxDepth: 10, MaxAttrs: 10, MaxListItems: 10, MaxStringLength: 1024}

// errorValue shows v for an error message.
func (ev *Evaluator) errorValue(v Value) string { return ev.showValue(v, errorPrintOptions) }

// ShowValue prints v as Nix's value printer does (the REPL and error
// messages); with opts.Force it evaluates what it prints, and errors met
// inside are shown in place as «error: …».
func (ev *Evaluator) ShowValue(v Value, opts PrintOptions) string {
	var out string
	err := ev.run(context.Background(), func() { out = ev.showValue(v, opts) })
	if err != nil {
		return "«error: " + err.(*Error).Msg + "»"
	}
	return out
}

func (ev *Evaluator) showValue(v Value, opts PrintOptions) string {
	p := &printer{ev: ev, opts: opts}
	if !opts.NoTrackRepeated {
		p.seen = map[any]bool{}
	}
	p.print(v, 0)
	return p.b.String()
}

type printer struct {
	ev         *Evaluator
	opts       PrintOptions
	b          strings.Builder
	seen       map[any]bool
	attrsPrint int
	itemsPrint int
	indent     string
}

func (p *printer) space(pretty bool) {
	if pretty {
		p.b.WriteString("\n")
		p.b.WriteString(p.indent)
	} else {
		p.b.WriteString(" ")
	}
}

func (p *printer) print(v Value, depth int) {
	ev := p.ev
	if depth > ev.maxCallDepth {
		ev.stackOverflow(syntax.NoPos)
	}
	stored := v
	if p.opts.Force {
		if msg, failed := p.tryForce(v); failed {
			p.b.WriteString("«error: " + msg + "»")
			return
		} else {
			v = ev.force(v)
		}
	}
	if t, ok := v.(*Thunk); ok {
		if t.env != nil {
			switch t.v.(type) {
			case *blackholeNode:
				p.b.WriteString("«potential infinite recursion»")
			default:
				p.b.WriteString("«thunk»")
			}
			return
		}
		v = t.v
	}
	switch x := v.(type) {
	case Int:
		p.b.WriteString(strconv.FormatInt(int64(x), 10))
	case Float:
		p.b.WriteString(FormatFloat(float64(x)))
	case Bool:
		if x {
			p.b.WriteString("true")
		} else {
			p.b.WriteString("false")
		}
	case Null:
		p.b.WriteString("null")
	case *String:
		p.printString(x.s)
	case Path:
		p.b.WriteString(string(x))
	case *Attrs:
		p.printAttrs(x, depth)
	case *List:
		p.printList(x, stored, depth)
	case *Lambda:
		p.b.WriteString("«lambda")
		if x.fn.name != "" {
			p.b.WriteString(" " + x.fn.name)
		}
		p.b.WriteString(" @ " + ev.fset.Position(x.fn.at).String() + "»")
	case *PrimOp:
		p.b.WriteString("«primop " + x.b.Name + "»")
	case *PrimOpApp:
		p.b.WriteString("«partially applied primop " + x.op.b.Name + "»")
	default:
		p.b.WriteString("«unknown»")
	}
}

// tryForce forces v for printing, reporting a catchable failure.
func (p *printer) tryForce(v Value) (msg string, failed bool) {
	ev := p.ev
	saved := ev.save()
	defer func() {
		if x := recover(); x != nil {
			e, ok := x.(*Error)
			if !ok || e.Kind == StackOverflow || e.Kind == Interrupted {
				panic(x)
			}
			ev.caught(saved, e)
			msg, failed = e.Msg, true
		}
	}()
	ev.force(v)
	return "", false
}

func (p *printer) printString(s string) {
	max := p.opts.MaxStringLength
	if max <= 0 || len(s) <= max {
		quoteString(&p.b, s)
		return
	}
	quoteString(&p.b, s[:max])
	p.b.WriteString(" «" + plural(len(s)-max, "byte", "bytes") + " elided»")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func (p *printer) printAttrs(a *Attrs, depth int) {
	ev := p.ev
	if p.seen != nil {
		if p.seen[a] {
			p.b.WriteString("«repeated»")
			return
		}
		p.seen[a] = true
	}
	if p.opts.Force && p.opts.DerivationPaths && ev.isDerivation(a) {
		p.b.WriteString("«derivation")
		if d := a.get(ev.symbols, ev.s.drvPath); d != nil {
			if s, ok := ev.force(d.Value).(*String); ok {
				p.b.WriteString(" " + s.s)
			}
		}
		p.b.WriteString("»")
		return
	}
	if p.opts.MaxDepth > 0 && depth >= p.opts.MaxDepth {
		p.b.WriteString("{ ... }")
		return
	}
	type entry struct {
		name string
		v    Value
	}
	entries := make([]entry, a.Len())
	for i, at := range a.all() {
		entries[i] = entry{ev.symbols.name(at.Name), at.Value}
	}
	if p.opts.MaxAttrs > 0 {
		// With a limit, "type" and "_type" come first (they say what the
		// set is).
		sort.SliceStable(entries, func(i, j int) bool {
			ii := entries[i].name == "type" || entries[i].name == "_type"
			ij := entries[j].name == "type" || entries[j].name == "_type"
			if ii != ij {
				return ii
			}
			return entries[i].name < entries[j].name
		})
	}
	p.indent += strings.Repeat(" ", p.opts.PrettyIndent)
	p.b.WriteString("{")
	pretty := p.opts.PrettyIndent > 0 && len(entries) > 0 && (len(entries) > 1 || p.isNested(entries[0].v))
	for i, e := range entries {
		p.space(pretty)
		if p.opts.MaxAttrs > 0 && p.attrsPrint >= p.opts.MaxAttrs {
			p.b.WriteString("«" + plural(len(entries)-i, "attribute", "attributes") + " elided»")
			break
		}
		printAttrName(&p.b, e.name)
		p.b.WriteString(" = ")
		p.print(e.v, depth+1)
		p.b.WriteString(";")
		p.attrsPrint++
	}
	p.indent = p.indent[:len(p.indent)-p.opts.PrettyIndent]
	p.space(pretty)
	p.b.WriteString("}")
}

func (p *printer) isNested(v Value) bool {
	v = p.ev.force(v)
	switch v.(type) {
	case *List, *Attrs:
		return true
	}
	return false
}

func (p *printer) printList(l *List, stored Value, depth int) {
	if p.seen != nil && len(l.elems) > 0 {
		if p.seen[stored] {
			p.b.WriteString("«repeated»")
			return
		}
		p.seen[stored] = true
	}
	if p.opts.MaxDepth > 0 && depth >= p.opts.MaxDepth {
		p.b.WriteString("[ ... ]")
		return
	}
	p.indent += strings.Repeat(" ", p.opts.PrettyIndent)
	p.b.WriteString("[")
	pretty := p.opts.PrettyIndent > 0 && len(l.elems) > 0 && (len(l.elems) > 1 || p.isNested(l.elems[0]))
	for i, e := range l.elems {
		p.space(pretty)
		if p.opts.MaxListItems > 0 && p.itemsPrint >= p.opts.MaxListItems {
			p.b.WriteString("«" + plural(len(l.elems)-i, "item", "items") + " elided»")
			break
		}
		p.print(e, depth+1)
		p.itemsPrint++
	}
	p.indent = p.indent[:len(p.indent)-p.opts.PrettyIndent]
	p.space(pretty)
	p.b.WriteString("]")
}

// printIdentifier writes an attribute name as Nix's printIdentifier (and
// so nix-instantiate --eval) does: quoted unless it is an identifier.
func printIdentifier(b *strings.Builder, s string) {
	if s == "" || reservedKeywords[s] {
		b.WriteString(`"` + s + `"`)
		return
	}
	c := s[0]
	if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
		quoteString(b, s)
		return
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '\'' || c == '-') {
			quoteString(b, s)
			return
		}
	}
	b.WriteString(s)
}

var reservedKeywords = map[string]bool{
	"if": true, "then": true, "else": true, "assert": true, "with": true, "let": true, "in": true, "rec": true, "inherit": true,
}

// printAttrName writes an attribute name, quoted unless it is a plain
// identifier.
func printAttrName(b *strings.Builder, s string) {
	if isVarName(s) {
		b.WriteString(s)
		return
	}
	quoteString(b, s)
}

func isVarName(s string) bool {
	if s == "" || reservedKeywords[s] {
		return false
	}
	c := s[0]
	if (c >= '0' && c <= '9') || c == '-' || c == '\'' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '\'') {
			return false
		}
	}
	return true
}

// WriteValue writes v as `nix-instantiate --eval` does (after
// evaluating it completely when strict), followed by a newline.
func (ev *Evaluator) WriteValue(ctx context.Context, w io.Writer, v Value, strict bool) error {
	var b strings.Builder
	err := ev.run(ctx, func() {
		if strict {
			ev.forceDeep(v)
		}
		v = ev.force(v)
		ev.printAmbiguous(&b, v, map[any]bool{}, 0)
	})
	if err != nil {
		return err
	}
	b.WriteString("\n")
	_, werr := io.WriteString(w, b.String())
	return werr
}

// Show prints v as `nix eval` does: forced, derivations as «derivation
// …drv», errors raised rather than printed.
func (ev *Evaluator) Show(ctx context.Context, v Value) (string, error) {
	var out string
	err := ev.run(ctx, func() {
		v = ev.force(v)
		out = ev.showValue(v, PrintOptions{Force: true, DerivationPaths: true})
	})
	return out, err
}
