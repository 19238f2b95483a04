package syntax

import (
	"io"
	"slices"
	"strconv"
	"strings"
)

// PrintOptions tells Print what Nix knows when it parses: Nix resolves path
// literals at parse time, so its printed tree shows absolute paths.
type PrintOptions struct {
	// BaseDir is the absolute directory relative paths are resolved
	// against: the directory of the parsed file, or the current directory
	// for an expression from the command line or standard input.
	BaseDir string
	// HomeDir replaces the ~ of ~/ paths.
	HomeDir string
	// FileSet, the set the expression was parsed into, makes Print order
	// formals and let bindings the way Nix 2.8 does (see symbolOrder);
	// without it they are printed sorted by name.
	FileSet *FileSet
}

// Print writes e as Nix 2.8's `nix-instantiate --parse` prints an
// expression (ExprXXX::show), followed by nothing (nix-instantiate adds a
// newline). It shows Nix 2.8's desugaring: a - b as (__sub a b), a < b as
// (__lessThan a b), <p> as (__findFile __nixPath "p"), inherit (e) x as
// x = (e).x, let { } as (rec { }).body.
func Print(w io.Writer, e Expr, opts PrintOptions) error {
	pr := &printer{opts: opts}
	if opts.FileSet != nil {
		pr.order = newSymbolOrder(e)
	}
	pr.expr(e)
	_, err := w.Write(pr.buf)
	return err
}

type printer struct {
	opts  PrintOptions
	buf   []byte
	order *symbolOrder
}

func (p *printer) str(s string) { p.buf = append(p.buf, s...) }

// showString is Nix's showString: a double-quoted string with ", \ and $
// escaped.
func (p *printer) showString(s string) {
	p.buf = append(p.buf, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '$':
			p.buf = append(p.buf, '\\', c)
		case '\n':
			p.buf = append(p.buf, '\\', 'n')
		case '\r':
			p.buf = append(p.buf, '\\', 'r')
		case '\t':
			p.buf = append(p.buf, '\\', 't')
		default:
			p.buf = append(p.buf, c)
		}
	}
	p.buf = append(p.buf, '"')
}

// showID is Nix 2.8's showId: a name as an identifier, or quoted when it
// is not one (Nix 2.8 quotes only the keyword "if").
func (p *printer) showID(s string) {
	if s == "" {
		p.str(`""`)
		return
	}
	if s == "if" {
		p.str(`"if"`)
		return
	}
	if c := s[0]; !(isLetter(c) || c == '_') {
		p.showString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) {
			p.showString(s)
			return
		}
	}
	p.str(s)
}

func (p *printer) attrPath(path []*AttrName) {
	for i, n := range path {
		if i > 0 {
			p.str(".")
		}
		if n.Dynamic != nil {
			p.str(`"${`)
			p.expr(n.Dynamic)
			p.str(`}"`)
		} else {
			p.showID(n.Name)
		}
	}
}

// callee returns the function and leading arguments of e when Nix 2.8
// represents it as a call (ExprCall), to which an application appends its
// arguments.
func callee(e Expr) (fn string, args []Expr, ok bool) {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case OpSub:
			return "__sub", []Expr{e.X, e.Y}, true
		case OpMul:
			return "__mul", []Expr{e.X, e.Y}, true
		case OpDiv:
			return "__div", []Expr{e.X, e.Y}, true
		case OpLess:
			return "__lessThan", []Expr{e.X, e.Y}, true
		case OpGreater:
			return "__lessThan", []Expr{e.Y, e.X}, true
		}
	case *Unary:
		if e.Op == OpNegate {
			return "__sub", []Expr{zero, e.X}, true
		}
	case *SearchPath:
		return "__findFile", []Expr{nixPathVar, &String{Parts: []Expr{&Lit{Value: e.Path}}}}, true
	}
	return "", nil, false
}

var (
	zero       = &Int{}
	nixPathVar = &Ident{Name: "__nixPath"}
)

func (p *printer) call(fn string, args ...Expr) {
	p.str("(")
	p.str(fn)
	for _, a := range args {
		p.str(" ")
		p.expr(a)
	}
	p.str(")")
}

func (p *printer) binary(x Expr, op string, y Expr) {
	p.str("(")
	p.expr(x)
	p.str(" ")
	p.str(op)
	p.str(" ")
	p.expr(y)
	p.str(")")
}

func (p *printer) expr(e Expr) {
	switch e := e.(type) {
	case *Int:
		p.buf = strconv.AppendInt(p.buf, e.Value, 10)
	case *Float:
		// C++'s default stream format: %g with 6 significant digits.
		p.buf = strconv.AppendFloat(p.buf, e.Value, 'g', 6, 64)
	case *Lit:
		p.showString(e.Value)
	case *URI:
		p.showString(e.Value)
	case *String:
		switch {
		case len(e.Parts) == 0:
			p.str(`""`)
		case len(e.Parts) == 1 && isLit(e.Parts[0]):
			p.expr(e.Parts[0])
		default:
			p.concat(e.Parts)
		}
	case *Path:
		first := e.Parts[0].(*Lit).Value
		if len(e.Parts) == 1 {
			p.str(p.resolvePath(e.Kind, first))
			return
		}
		p.str("(")
		p.str(p.resolvePath(e.Kind, first))
		for _, part := range e.Parts[1:] {
			p.str(" + ")
			p.expr(part)
		}
		p.str(")")
	case *SearchPath, *Unary, *Binary:
		if fn, args, ok := callee(e); ok {
			p.call(fn, args...)
			return
		}
		switch e := e.(type) {
		case *Unary:
			p.str("(! ")
			p.expr(e.X)
			p.str(")")
		case *Binary:
			switch e.Op {
			case OpLEq:
				p.str("(! ")
				p.call("__lessThan", e.Y, e.X)
				p.str(")")
			case OpGEq:
				p.str("(! ")
				p.call("__lessThan", e.X, e.Y)
				p.str(")")
			case OpAdd:
				p.concat([]Expr{e.X, e.Y})
			case OpPipeRight:
				p.str("(")
				p.expr(e.Y)
				p.str(" ")
				p.expr(e.X)
				p.str(")")
			case OpPipeLeft:
				p.str("(")
				p.expr(e.X)
				p.str(" ")
				p.expr(e.Y)
				p.str(")")
			default:
				p.binary(e.X, e.Op.String(), e.Y)
			}
		}
	case *Ident:
		p.showID(e.Name)
	case *CurPos:
		p.str("__curPos")
	case *AttrSet:
		p.attrSet(e)
	case *LegacyLet:
		p.str("(")
		p.attrSet(e.Set)
		p.str(").body")
	case *List:
		p.str("[ ")
		for _, x := range e.Elems {
			p.str("(")
			p.expr(x)
			p.str(") ")
		}
		p.str("]")
	case *Let:
		p.str("(let ")
		for _, a := range p.sortedLet(e.Attrs) {
			if a.Inherited && a.From == nil {
				p.str("inherit ")
				p.showID(a.Name)
				p.str("; ")
				continue
			}
			p.showID(a.Name)
			p.str(" = ")
			p.expr(a.Value)
			p.str("; ")
		}
		p.str("in ")
		p.expr(e.Body)
		p.str(")")
	case *With:
		p.str("(with ")
		p.expr(e.Env)
		p.str("; ")
		p.expr(e.Body)
		p.str(")")
	case *Assert:
		p.str("assert ")
		p.expr(e.Cond)
		p.str("; ")
		p.expr(e.Body)
	case *If:
		p.str("(if ")
		p.expr(e.Cond)
		p.str(" then ")
		p.expr(e.Then)
		p.str(" else ")
		p.expr(e.Else)
		p.str(")")
	case *Lambda:
		p.str("(")
		if e.Formals != nil {
			p.str("{ ")
			for i, f := range p.sortedFormals(e.Formals.Formals) {
				if i > 0 {
					p.str(", ")
				}
				p.showID(f.Name)
				if f.Default != nil {
					p.str(" ? ")
					p.expr(f.Default)
				}
			}
			if e.Formals.Ellipsis {
				if len(e.Formals.Formals) > 0 {
					p.str(", ")
				}
				p.str("...")
			}
			p.str(" }")
			if e.Param != "" {
				p.str(" @ ")
			}
		}
		if e.Param != "" {
			p.showID(e.Param)
		}
		p.str(": ")
		p.expr(e.Body)
		p.str(")")
	case *Call:
		p.str("(")
		if fn, args, ok := callee(e.Fn); ok {
			// Nix 2.8 appends the arguments to the call it desugared
			// the operator into.
			p.str(fn)
			for _, a := range args {
				p.str(" ")
				p.expr(a)
			}
		} else {
			p.expr(e.Fn)
		}
		for _, a := range e.Args {
			p.str(" ")
			p.expr(a)
		}
		p.str(")")
	case *Select:
		p.str("(")
		p.expr(e.X)
		p.str(").")
		p.attrPath(e.Path)
		if e.Default != nil {
			p.str(" or (")
			p.expr(e.Default)
			p.str(")")
		}
	case *HasAttr:
		p.str("((")
		p.expr(e.X)
		p.str(") ? ")
		p.attrPath(e.Path)
		p.str(")")
	}
}

func isLit(e Expr) bool {
	_, ok := e.(*Lit)
	return ok
}

// concat prints an ExprConcatStrings: interpolations and +.
func (p *printer) concat(parts []Expr) {
	p.str("(")
	for i, x := range parts {
		if i > 0 {
			p.str(" + ")
		}
		p.expr(x)
	}
	p.str(")")
}

func (p *printer) attrSet(e *AttrSet) {
	if e.Rec {
		p.str("rec ")
	}
	p.str("{ ")
	attrs := slices.Clone(e.Attrs)
	slices.SortFunc(attrs, func(a, b *Attr) int { return strings.Compare(a.Name, b.Name) })
	for _, a := range attrs {
		if a.Inherited && a.From == nil {
			p.str("inherit ")
			p.showID(a.Name)
			p.str(" ; ")
			continue
		}
		p.showID(a.Name)
		p.str(" = ")
		p.expr(a.Value)
		p.str("; ")
	}
	for _, d := range e.DynamicAttrs {
		p.str(`"${`)
		p.expr(d.Name)
		p.str(`}" = `)
		p.expr(d.Value)
		p.str("; ")
	}
	p.str("}")
}

// resolvePath is the path Nix 2.8 stores for a path literal's first piece.
func (p *printer) resolvePath(kind PathKind, text string) string {
	switch kind {
	case PathHome:
		// Nix 2.8 does not canonicalise home paths.
		return p.opts.HomeDir + text[1:]
	case PathRelative:
		text = p.opts.BaseDir + "/" + text
	}
	path := canonPath(text)
	if len(text) > 1 && text[len(text)-1] == '/' {
		path += "/"
	}
	return path
}

// canonPath is Nix's canonPath without symlink resolution: it removes empty
// and "." components and resolves ".." lexically.
func canonPath(path string) string {
	var out []byte
	for _, c := range strings.Split(path, "/") {
		switch c {
		case "", ".":
		case "..":
			if i := lastIndexByte(out, '/'); i >= 0 {
				out = out[:i]
			}
		default:
			out = append(out, '/')
			out = append(out, c...)
		}
	}
	if len(out) == 0 {
		return "/"
	}
	return string(out)
}

func (p *printer) sortedFormals(fs []*Formal) []*Formal {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b *Formal) int { return p.compareSymbols(a.Name, b.Name) })
	return fs
}

func (p *printer) sortedLet(attrs []*Attr) []*Attr {
	attrs = slices.Clone(attrs)
	slices.SortStableFunc(attrs, func(a, b *Attr) int { return p.compareSymbols(a.Name, b.Name) })
	return attrs
}

func (p *printer) compareSymbols(a, b string) int {
	if p.order == nil {
		return strings.Compare(a, b)
	}
	return p.order.compare(a, b)
}
