package repl

import (
	"bufio"
	"context"
	"errors"
	"strconv"

	"github.com/govix/govix/eval"
)

// ANSI colors as Nix's REPL uses them.
const (
	ansiNormal  = "\x1b[0m"
	ansiRed     = "\x1b[31;1m"
	ansiGreen   = "\x1b[32;1m"
	ansiBlue    = "\x1b[34;1m"
	ansiMagenta = "\x1b[35;1m"
	ansiCyan    = "\x1b[36;1m"
)

// printer prints values as Nix 2.8's REPL does: forcing what it prints,
// sets and lists only down to a depth ({ ... } and [ ... ] below it),
// attributes sorted by name, a set or list met again as «repeated», and
// a failed assertion or throw inside as «error: ...». Other errors end
// the printing (what was printed stays, as in Nix).
type printer struct {
	ctx   context.Context
	ev    *eval.Evaluator
	w     *bufio.Writer
	color bool
	seen  map[any]bool
}

// maxNesting bounds recursion when printing deeply nested values.
const maxNesting = 10000

// printValue prints v to Stdout with the given depth, then a newline.
func (s *Session) printValue(ctx context.Context, v eval.Value, depth int) error {
	w := bufio.NewWriter(s.out)
	p := &printer{ctx: ctx, ev: s.ev, w: w, color: s.opts.Color, seen: map[any]bool{}}
	err := p.print(v, nil, depth, 0)
	if err == nil {
		w.WriteString("\n")
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// identity is what makes two occurrences of a value "the same" for
// «repeated»: the thunk or set or list stored, as Nix compares Value
// pointers. Empty sets and lists are shared constants, never repeated.
func identity(stored eval.Value) any {
	switch x := stored.(type) {
	case *eval.Thunk:
		return x
	case *eval.Attrs:
		if x.Len() > 0 {
			return x
		}
	case *eval.List:
		if x.Len() > 0 {
			return x
		}
	}
	return nil
}

func (p *printer) colored(color, s string) {
	if p.color {
		p.w.WriteString(color)
		p.w.WriteString(s)
		p.w.WriteString(ansiNormal)
		return
	}
	p.w.WriteString(s)
}

// print prints v; key is its identity for «repeated» (nil for the top).
func (p *printer) print(v eval.Value, key any, depth, nesting int) error {
	if nesting > maxNesting {
		p.w.WriteString("«too deep»")
		return nil
	}
	v, err := p.ev.Force(p.ctx, v)
	if err != nil {
		return err
	}
	switch x := v.(type) {
	case eval.Int:
		p.colored(ansiCyan, strconv.FormatInt(int64(x), 10))
	case eval.Bool:
		p.colored(ansiCyan, strconv.FormatBool(bool(x)))
	case eval.Null:
		p.colored(ansiCyan, "null")
	case eval.Float:
		p.w.WriteString(eval.FormatFloat(float64(x)))
	case *eval.String:
		p.colored(ansiMagenta, quote(x.String()))
	case eval.Path:
		p.colored(ansiGreen, string(x))
	case *eval.Attrs:
		if key != nil {
			p.seen[key] = true
		}
		return p.printAttrs(x, depth, nesting)
	case *eval.List:
		if key != nil {
			p.seen[key] = true
		}
		p.w.WriteString("[ ")
		if depth > 0 {
			for _, e := range x.Elems() {
				if err := p.printChild(e, depth, nesting); err != nil {
					return err
				}
				p.w.WriteString(" ")
			}
		} else {
			p.w.WriteString("... ")
		}
		p.w.WriteString("]")
	case *eval.Lambda:
		p.colored(ansiBlue, "«lambda @ "+p.ev.Position(x.Pos()).String()+"»")
	case *eval.PrimOp:
		p.colored(ansiMagenta, "«primop»")
	case *eval.PrimOpApp:
		p.colored(ansiBlue, "«primop-app»")
	default:
		p.colored(ansiRed, "«unknown»")
	}
	return nil
}

func (p *printer) printAttrs(a *eval.Attrs, depth, nesting int) error {
	if drv, err := p.isDerivation(a); err != nil {
		return err
	} else if drv {
		p.w.WriteString("«derivation ")
		if dp, ok := p.ev.Get(a, "drvPath"); ok {
			dp, err := p.ev.Force(p.ctx, dp)
			if err != nil {
				return err
			}
			if s, ok := dp.(*eval.String); ok {
				p.w.WriteString(s.String())
			} else {
				p.w.WriteString("???")
			}
		} else {
			p.w.WriteString("???")
		}
		p.w.WriteString("»")
		return nil
	}
	if depth <= 0 {
		p.w.WriteString("{ ... }")
		return nil
	}
	p.w.WriteString("{ ")
	for name, val := range p.ev.Each(a) {
		if isVarName(name) {
			p.w.WriteString(name)
		} else {
			p.w.WriteString(quote(name))
		}
		p.w.WriteString(" = ")
		if err := p.printChild(val, depth, nesting); err != nil {
			return err
		}
		p.w.WriteString("; ")
	}
	p.w.WriteString("}")
	return nil
}

// printChild prints an element or attribute value one level down,
// showing a failed assertion or throw in place.
func (p *printer) printChild(v eval.Value, depth, nesting int) error {
	key := identity(v)
	if key != nil && p.seen[key] {
		p.w.WriteString("«repeated»")
		return nil
	}
	err := p.print(v, key, depth-1, nesting+1)
	var ee *eval.Error
	if errors.As(err, &ee) && ee.Kind.Catchable() {
		p.colored(ansiRed, "«error: "+ee.Msg+"»")
		return nil
	}
	return err
}

// isDerivation reports whether a is a set with type = "derivation".
func (p *printer) isDerivation(a *eval.Attrs) (bool, error) {
	t, ok := p.ev.Get(a, "type")
	if !ok {
		return false, nil
	}
	t, err := p.ev.Force(p.ctx, t)
	if err != nil {
		return false, err
	}
	s, ok := t.(*eval.String)
	return ok && s.String() == "derivation", nil
}

// quote writes s as Nix's REPL does: in double quotes, escaping only
// quotes, backslashes, newlines, returns and tabs.
func quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}
