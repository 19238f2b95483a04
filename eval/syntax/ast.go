// Package syntax is the Nix language's front end: a lexer and parser that turn
// source text into the abstract syntax tree defined here, with compact
// positions on every node (see FileSet).
//
// The tree is what Nix's parser produces, before any scope analysis:
//   - nested attribute paths in a set (`a.b = 1; a.c = 2;`) are already
//     merged into nested AttrSet nodes, and duplicate definitions are parse
//     errors, exactly as Nix reports them;
//   - string and indented-string literals are unescaped and indentation is
//     already stripped; interpolations are separate parts;
//   - paths are kept as written (the evaluator resolves them against the
//     file's directory and $HOME);
//   - operators Nix implements as calls to builtins stay operators here
//     (the compiler decides how to run them). Note that Nix looks the
//     builtins up by name in the lexical scope: a - b calls whatever
//     __sub is in scope, a < b (and >, <=, >=) __lessThan, a * b __mul,
//     a / b __div, -a __sub 0 a, and <p> calls __findFile __nixPath "p";
//   - like Nix, the parser rejects variables bound nowhere (unless a with
//     may bind them), see Options.Globals.
//
// Parse turns source into a tree, reporting errors as Nix words and places
// them; Print shows a tree as Nix 2.8's nix-instantiate --parse does.
package syntax

// Node is any node of the tree.
type Node interface {
	Pos() Pos // the first byte of the node
}

// Expr is an expression node.
type Expr interface {
	Node
	exprNode()
}

// Int is an integer literal. Overflowing literals are parse errors.
type Int struct {
	At    Pos
	Value int64
}

// Float is a floating-point literal.
type Float struct {
	At    Pos
	Value float64
}

// String is a double-quoted or an indented string (between two pairs of
// single quotes). Parts are *Lit for literal text (unescaped, indentation
// already stripped) and any other Expr for ${...} interpolations. A
// double-quoted literal without interpolation has exactly one *Lit part;
// the empty string has none.
//
// An indented string keeps the structure Nix's parser gives it: a separate
// *Lit for each run of text and for each escape (two single quotes before
// $, a single quote or a backslash escape), some possibly empty. The empty
// *Lit parts are no-ops when evaluating; they are there so that the tree
// prints as Nix 2.8's nix-instantiate --parse prints it. ConstantString
// recognises a string without interpolation.
type String struct {
	At       Pos
	Indented bool
	Parts    []Expr
	// Interp holds where the ${ of each interpolation is, in order (Nix
	// reports errors in coercing an interpolated value there).
	Interp []Pos
}

// ConstantString returns the value of a string without interpolation.
func ConstantString(s *String) (string, bool) {
	switch len(s.Parts) {
	case 0:
		return "", true
	case 1:
		lit, ok := s.Parts[0].(*Lit)
		if !ok {
			return "", false
		}
		return lit.Value, true
	}
	var b []byte
	for _, p := range s.Parts {
		lit, ok := p.(*Lit)
		if !ok {
			return "", false
		}
		b = append(b, lit.Value...)
	}
	return string(b), true
}

// Lit is a fragment of literal text inside a String or Path.
type Lit struct {
	At    Pos
	Value string
}

// PathKind says how a path literal is anchored.
type PathKind uint8

const (
	PathRelative PathKind = iota // ./a, a/b, ../x: relative to the file's directory
	PathAbsolute                 // /a/b
	PathHome                     // ~/a: relative to $HOME
)

// Path is a path literal such as ./a/${b}/c. Parts are *Lit and interpolated
// Exprs, as in String; the first part is always a *Lit holding the start
// of the path as written (e.g. "./a/", "~/x", "/etc").
type Path struct {
	At    Pos
	Kind  PathKind
	Parts []Expr
	// Interp holds where the ${ of each interpolation is, as in String.
	Interp []Pos
}

// SearchPath is a <nixpkgs/lib>-style lookup; Path is the text between the
// angle brackets.
type SearchPath struct {
	At   Pos
	Path string
}

// URI is an unquoted URI literal such as https://example.org/x (deprecated
// in Nix, still accepted unless the no-url-literals feature is on).
type URI struct {
	At    Pos
	Value string
}

// Ident is a variable reference.
type Ident struct {
	At   Pos
	Name string
}

// CurPos is the special variable __curPos.
type CurPos struct {
	At Pos
}

// AttrName is one element of an attribute path: a plain name (Name set,
// Dynamic nil), or a dynamic name from "${e}" or a string with
// interpolation (Dynamic set). A quoted string without interpolation is a
// plain name.
type AttrName struct {
	At      Pos
	Name    string
	Dynamic Expr
}

// Attr is one static attribute of a set or let: `name = value;` or an
// inherited name.
type Attr struct {
	At        Pos // position of the name (what unsafeGetAttrPos reports)
	Name      string
	Value     Expr // for inherit from an expression: a Select on From
	Inherited bool // written as `inherit name;` or `inherit (e) name;`
	// From is non-nil for `inherit (e) name;`: e is evaluated once per
	// inherit clause; several Attrs may share the same From expression.
	From Expr
}

// DynamicAttr is an attribute whose name is computed: `${e} = v;` or
// `"a${b}" = v;`.
type DynamicAttr struct {
	At    Pos
	Name  Expr // evaluates to the name (a string, or null to skip)
	Value Expr
}

// AttrSet is { ... } or rec { ... }. Attrs holds the static attributes in
// source order of their first definition, names unique; DynamicAttrs the
// dynamic ones in source order.
type AttrSet struct {
	At           Pos
	Rec          bool
	Attrs        []*Attr
	DynamicAttrs []*DynamicAttr
}

// List is [ e1 e2 ... ].
type List struct {
	At    Pos
	Elems []Expr
}

// Let is `let bindings in body`. Bindings cannot be dynamic (a parse error,
// as in Nix); inherit is allowed.
type Let struct {
	At    Pos
	Attrs []*Attr
	Body  Expr
}

// LegacyLet is `let { a = 1; body = a; }`: a recursive set whose `body`
// attribute is the value.
type LegacyLet struct {
	At  Pos
	Set *AttrSet
}

// With is `with env; body`.
type With struct {
	At   Pos
	Env  Expr
	Body Expr
}

// Assert is `assert cond; body`.
type Assert struct {
	At   Pos
	Cond Expr
	Body Expr
}

// If is `if cond then a else b`.
type If struct {
	At   Pos
	Cond Expr
	Then Expr
	Else Expr
}

// Formal is one formal argument `name` or `name ? default`.
type Formal struct {
	At      Pos
	Name    string
	Default Expr // nil when there is none
}

// Formals is the { a, b ? 1, ... } pattern of a lambda, in source order.
// Duplicate names are parse errors.
type Formals struct {
	At       Pos
	Formals  []*Formal
	Ellipsis bool
}

// Lambda is a function. Exactly one of the forms:
//   - x: body            Param="x", Formals=nil
//   - {a, b}: body       Param="", Formals set
//   - {a}@x: body or x@{a}: body   both set
type Lambda struct {
	At      Pos
	Param   string
	Formals *Formals
	Body    Expr
}

// Call is function application; consecutive applications f a b c are
// flattened into one Call with several Args (the evaluator applies them
// one at a time, left to right).
type Call struct {
	At   Pos
	Fn   Expr
	Args []Expr
}

// Select is e.a.b or e.a.b or default.
type Select struct {
	At      Pos
	X       Expr
	Path    []*AttrName
	Default Expr // nil without `or`
}

// HasAttr is e ? a.b.
type HasAttr struct {
	At   Pos
	X    Expr
	Path []*AttrName
}

// Op is a unary or binary operator.
type Op uint8

const (
	OpInvalid   Op = iota
	OpNot          // !x
	OpNegate       // -x
	OpEq           // ==
	OpNEq          // !=
	OpLess         // <
	OpLEq          // <=
	OpGreater      // >
	OpGEq          // >=
	OpAnd          // &&
	OpOr           // ||
	OpImpl         // ->
	OpUpdate       // //
	OpConcat       // ++
	OpAdd          // +
	OpSub          // -
	OpMul          // *
	OpDiv          // /
	OpPipeRight    // |>  (experimental pipe-operators)
	OpPipeLeft     // <|  (experimental pipe-operators)
)

var opNames = [...]string{
	OpInvalid: "?", OpNot: "!", OpNegate: "-", OpEq: "==", OpNEq: "!=", OpLess: "<", OpLEq: "<=",
	OpGreater: ">", OpGEq: ">=", OpAnd: "&&", OpOr: "||", OpImpl: "->", OpUpdate: "//",
	OpConcat: "++", OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpPipeRight: "|>", OpPipeLeft: "<|",
}

// String returns the operator as written in Nix source.
func (op Op) String() string {
	if int(op) < len(opNames) {
		return opNames[op]
	}
	return "?"
}

// Unary is !x or -x.
type Unary struct {
	At Pos
	Op Op
	X  Expr
}

// Binary is x OP y. At is the position of the operator, which is where Nix
// reports errors of the operation.
type Binary struct {
	At Pos
	Op Op
	X  Expr
	Y  Expr
}

func (e *Int) Pos() Pos         { return e.At }
func (e *Float) Pos() Pos       { return e.At }
func (e *String) Pos() Pos      { return e.At }
func (e *Lit) Pos() Pos         { return e.At }
func (e *Path) Pos() Pos        { return e.At }
func (e *SearchPath) Pos() Pos  { return e.At }
func (e *URI) Pos() Pos         { return e.At }
func (e *Ident) Pos() Pos       { return e.At }
func (e *CurPos) Pos() Pos      { return e.At }
func (e *AttrSet) Pos() Pos     { return e.At }
func (e *List) Pos() Pos        { return e.At }
func (e *Let) Pos() Pos         { return e.At }
func (e *LegacyLet) Pos() Pos   { return e.At }
func (e *With) Pos() Pos        { return e.At }
func (e *Assert) Pos() Pos      { return e.At }
func (e *If) Pos() Pos          { return e.At }
func (e *Lambda) Pos() Pos      { return e.At }
func (e *Call) Pos() Pos        { return e.At }
func (e *Select) Pos() Pos      { return e.At }
func (e *HasAttr) Pos() Pos     { return e.At }
func (e *Unary) Pos() Pos       { return e.At }
func (e *Binary) Pos() Pos      { return e.At }
func (n *AttrName) Pos() Pos    { return n.At }
func (a *Attr) Pos() Pos        { return a.At }
func (a *DynamicAttr) Pos() Pos { return a.At }
func (f *Formal) Pos() Pos      { return f.At }
func (f *Formals) Pos() Pos     { return f.At }

func (*Int) exprNode()        {}
func (*Float) exprNode()      {}
func (*String) exprNode()     {}
func (*Lit) exprNode()        {}
func (*Path) exprNode()       {}
func (*SearchPath) exprNode() {}
func (*URI) exprNode()        {}
func (*Ident) exprNode()      {}
func (*CurPos) exprNode()     {}
func (*AttrSet) exprNode()    {}
func (*List) exprNode()       {}
func (*Let) exprNode()        {}
func (*LegacyLet) exprNode()  {}
func (*With) exprNode()       {}
func (*Assert) exprNode()     {}
func (*If) exprNode()         {}
func (*Lambda) exprNode()     {}
func (*Call) exprNode()       {}
func (*Select) exprNode()     {}
func (*HasAttr) exprNode()    {}
func (*Unary) exprNode()      {}
func (*Binary) exprNode()     {}
