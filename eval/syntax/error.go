package syntax

// Error is a parse error: a syntax error, a semantic error Nix's parser
// reports (a duplicate attribute or formal argument, an undefined
// variable, ...) or a failed lint. Msg is worded as Nix words it.
type Error struct {
	Pos Position
	Msg string
}

// Error formats the error as one line, "FILE:LINE:COL: MSG".
func (e *Error) Error() string {
	if !e.Pos.IsValid() && e.Pos.Filename == "" {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// Lint is how a lint setting treats a deprecated or non-portable construct,
// like Nix's lint-* settings.
type Lint uint8

const (
	LintIgnore Lint = iota // accept silently (Nix's default)
	LintWarn               // accept, reporting a warning through Options.Warn
	LintFatal              // reject with an *Error
)

// Options controls the language accepted by Parse.
type Options struct {
	// PipeOperators accepts |> and <| (Nix's experimental feature
	// pipe-operators); without it they are errors.
	PipeOperators bool

	// LintURLLiterals, LintAbsolutePathLiterals and LintShortPathLiterals
	// are Nix's lint-url-literals, lint-absolute-path-literals (absolute
	// and ~/ paths) and lint-short-path-literals (relative paths not
	// starting with '.').
	LintURLLiterals          Lint
	LintAbsolutePathLiterals Lint
	LintShortPathLiterals    Lint

	// Warn receives the warnings of lints set to LintWarn. Nil drops them.
	Warn func(*Error)

	// PureEval rejects ~/ paths, which Nix cannot resolve in pure
	// evaluation mode.
	PureEval bool

	// Globals reports whether a name is bound in the base environment (the
	// builtins visible without "builtins.", true, null, ...). Like Nix's
	// parser, Parse reports a variable bound neither there nor by an
	// enclosing let, rec set, function or with as "undefined variable".
	// Nil means the names of Nix's base environment (see IsGlobal).
	Globals func(name string) bool

	// NoScopeCheck skips the undefined-variable check, for callers that
	// resolve names themselves.
	NoScopeCheck bool

	// MaxDepth bounds the parser's recursion, and with it how deeply the
	// tree nests (0 means DefaultMaxDepth), so that hostile input gets an
	// error rather than exhausting the stack of the parser or of what
	// walks the tree.
	MaxDepth int
}

// DefaultMaxDepth is the recursion bound used when Options.MaxDepth is 0:
// each parenthesis costs three levels, each operator or nested list,
// function or attribute path element one or two. The deepest file of the
// auxcore package set needs 99.
const DefaultMaxDepth = 10000
