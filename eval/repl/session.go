// Package repl is govix's interactive Nix evaluator, the engine of `govix
// repl`: it keeps a scope of variables, runs the REPL's commands (:l, :a,
// :p, :t, :r, ...), prints values as `nix repl` does and completes names.
//
// A Session does the work for one complete input at a time and knows
// nothing of terminals; Loop reads lines from a LineReader (a terminal
// with line editing and history, or plain lines from a pipe) and feeds
// them to it, joining lines while the input is incomplete. Apart from the
// terminal driver (Terminal, not built for wasm) and the completion of
// file names, nothing here touches the operating system: the Session
// works wherever package eval does.
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/govix/govix/eval"
)

// Options configure a Session.
type Options struct {
	// NewEvaluator makes the evaluator: once at the start and again on :r,
	// which starts from a clean slate as Nix's does. nil means
	// eval.New(eval.Options{}).
	NewEvaluator func() *eval.Evaluator
	// Dir is the directory relative paths in input and :l are resolved
	// against (the working directory).
	Dir string
	// AutoArgs are the arguments (--arg, --argstr) given to a loaded file
	// that is a function taking a set.
	AutoArgs []AutoArg
	// Stdout receives values and command output; Stderr errors and
	// notices ("Added 3 variables."). nil discards.
	Stdout, Stderr io.Writer
	// Color prints values with ANSI colors as Nix does on a terminal.
	Color bool
	// ShowTrace prints errors with their full trace (:st toggles it).
	ShowTrace bool
}

// AutoArg is an argument for a loaded function: Expr is Nix source
// (--arg), or String a literal string (--argstr) when IsString.
type AutoArg struct {
	Name     string
	Expr     string
	IsString bool
}

// Status says what a Session did with an input.
type Status int

const (
	// Done: the input was handled (successfully or with an error shown).
	Done Status = iota
	// Incomplete: the input ends in the middle of an expression; the
	// caller should read another line and call again with both.
	Incomplete
	// Quit: the user asked to leave (:q).
	Quit
)

// Session is one REPL: an evaluator and the variables bound so far.
// It is not safe for concurrent use.
type Session struct {
	opts   Options
	ev     *eval.Evaluator
	vars   map[string]eval.Value // bound variables by name
	scope  *eval.Attrs           // vars as a set, rebuilt when they change
	loaded []string              // files loaded with :l, for :r
	out    io.Writer
	errw   io.Writer
}

// New returns a session. Files given (as `nix repl FILE...` does) are
// loaded with Load.
func New(opts Options) *Session {
	s := &Session{opts: opts, out: opts.Stdout, errw: opts.Stderr}
	if s.out == nil {
		s.out = io.Discard
	}
	if s.errw == nil {
		s.errw = io.Discard
	}
	if s.opts.NewEvaluator == nil {
		s.opts.NewEvaluator = func() *eval.Evaluator { return eval.New(eval.Options{}) }
	}
	s.initEnv()
	return s
}

// Evaluator returns the session's current evaluator (it changes on :r).
func (s *Session) Evaluator() *eval.Evaluator { return s.ev }

// initEnv starts over with a new evaluator and no variables.
func (s *Session) initEnv() {
	s.ev = s.opts.NewEvaluator()
	s.vars = map[string]eval.Value{}
	s.scope = nil
}

// Scope returns the bound variables as a set.
func (s *Session) Scope() *eval.Attrs {
	if s.scope == nil {
		s.scope = s.ev.NewAttrs(s.vars)
	}
	return s.scope
}

// Bind binds name to v in the session's scope, replacing an earlier
// binding of the name (values bound before keep seeing the old one).
func (s *Session) Bind(name string, v eval.Value) {
	s.vars[name] = v
	s.scope = nil
}

// Vars returns the names of the bound variables, sorted.
func (s *Session) Vars() []string {
	out := make([]string, 0, len(s.vars))
	for n := range s.vars {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Process handles one input: a command (":p EXPR"), a binding ("x =
// EXPR") or an expression to print. Input spanning several lines is
// joined with newlines. Errors are written to Stderr, as Nix's REPL does,
// and do not end the session.
func (s *Session) Process(ctx context.Context, input string) Status {
	if strings.TrimSpace(input) == "" {
		return Done
	}
	quit, err := s.processLine(ctx, input)
	if err != nil {
		var ee *eval.Error
		if errors.As(err, &ee) && ee.Kind == eval.ParseError && strings.Contains(ee.Msg, "unexpected end of file") {
			return Incomplete
		}
		s.ShowError(err)
	}
	if quit {
		return Quit
	}
	return Done
}

// ShowError writes an error to Stderr as Nix does: "error: ..." with the
// position and the source around it, and the trace.
func (s *Session) ShowError(err error) {
	var ee *eval.Error
	if errors.As(err, &ee) {
		fmt.Fprintln(s.errw, ee.Format(s.opts.ShowTrace))
		return
	}
	fmt.Fprintf(s.errw, "error: %v\n", err)
}

// userError is an error of the REPL itself (a bad command), shown as
// "error: MSG".
type userError string

func (e userError) Error() string { return string(e) }

func (s *Session) processLine(ctx context.Context, line string) (quit bool, err error) {
	line = strings.TrimSpace(line)
	var command, arg string
	if strings.HasPrefix(line, ":") {
		command = line
		if i := strings.IndexAny(line, " \n\r\t"); i >= 0 {
			command, arg = line[:i], strings.TrimSpace(line[i:])
		}
	} else {
		arg = line
	}
	switch command {
	case ":?", ":help":
		io.WriteString(s.out, helpText)
	case ":a", ":add":
		v, err := s.evalString(ctx, arg)
		if err != nil {
			return false, err
		}
		return false, s.addAttrsToScope(ctx, v)
	case ":l", ":load":
		if arg == "" {
			return false, userError("':l' needs a file to load")
		}
		s.ev.ResetFileCache()
		return false, s.Load(ctx, arg)
	case ":r", ":reload":
		return false, s.Reload(ctx)
	case ":t", ":type":
		v, err := s.evalString(ctx, arg)
		if err != nil {
			return false, err
		}
		fmt.Fprintln(s.out, eval.ShowType(v))
	case ":p", ":print":
		v, err := s.evalString(ctx, arg)
		if err != nil {
			return false, err
		}
		return false, s.printValue(ctx, v, maxPrintDepth)
	case ":q", ":quit":
		return true, nil
	case ":st", ":show-trace":
		switch {
		case arg == "false" || (arg == "" && s.opts.ShowTrace):
			fmt.Fprintln(s.out, "not showing error traces")
			s.opts.ShowTrace = false
		case arg == "true" || (arg == "" && !s.opts.ShowTrace):
			fmt.Fprintln(s.out, "showing error traces")
			s.opts.ShowTrace = true
		default:
			return false, userError(fmt.Sprintf("unexpected argument '%s' to %s", arg, command))
		}
	case "":
		if name, expr, ok := splitBinding(line); ok {
			v, err := s.ev.LazySourceIn(sourceName, s.opts.Dir, []byte(expr), s.Scope())
			if err != nil {
				return false, err
			}
			s.Bind(name, v)
			return false, nil
		}
		v, err := s.evalString(ctx, line)
		if err != nil {
			return false, err
		}
		return false, s.printValue(ctx, v, 1)
	default:
		return false, userError(fmt.Sprintf("unknown command '%s'", command))
	}
	return false, nil
}

// sourceName is the file name of REPL input in positions, as in Nix.
const sourceName = "«string»"

// maxPrintDepth is :p's depth (Nix's is a billion: everything).
const maxPrintDepth = 1 << 30

const helpText = `The following commands are available:

  <expr>        Evaluate and print expression
  <x> = <expr>  Bind expression to variable
  :a <expr>     Add attributes from resulting set to scope
  :l <path>     Load Nix expression and add it to scope
  :p <expr>     Evaluate and print expression recursively
  :q            Exit nix-repl
  :r            Reload all files
  :t <expr>     Describe result of evaluation
  :st [bool]    Enable, disable or toggle showing traces for errors
`

// splitBinding recognises "NAME = EXPR" as Nix's REPL does: the first
// '=' not followed by another, with a variable name before it.
func splitBinding(line string) (name, expr string, ok bool) {
	p := strings.IndexByte(line, '=')
	if p < 0 || (p+1 < len(line) && line[p+1] == '=') {
		return "", "", false
	}
	name = strings.TrimSpace(line[:p])
	if !isVarName(name) {
		return "", "", false
	}
	return name, line[p+1:], true
}

// isVarName is Nix's REPL's test for a bindable name (and for attribute
// names printed without quotes).
func isVarName(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; (c >= '0' && c <= '9') || c == '-' || c == '\'' {
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

// evalString evaluates src in the session's scope to weak head normal
// form.
func (s *Session) evalString(ctx context.Context, src string) (eval.Value, error) {
	v, err := s.ev.EvalSourceIn(ctx, sourceName, s.opts.Dir, []byte(src), s.Scope())
	if err != nil {
		return nil, err
	}
	return s.ev.Force(ctx, v)
}

// Eval evaluates src in the session's scope to weak head normal form.
func (s *Session) Eval(ctx context.Context, src string) (eval.Value, error) {
	return s.evalString(ctx, src)
}

// addAttrsToScope binds every attribute of the set v.
func (s *Session) addAttrsToScope(ctx context.Context, v eval.Value) error {
	v, err := s.ev.Force(ctx, v)
	if err != nil {
		return err
	}
	a, ok := v.(*eval.Attrs)
	if !ok {
		return userError(fmt.Sprintf("expected a set but found %s", eval.ShowType(v)))
	}
	for name, val := range s.ev.Each(a) {
		s.vars[name] = val
	}
	s.scope = nil
	fmt.Fprintf(s.errw, "Added %d variables.\n", a.Len())
	return nil
}

// Load evaluates a file (a path, relative to Dir, or <NAME> from the
// search path), calls it with the session's AutoArgs if it is a function
// taking a set, and binds the attributes of the resulting set. :r loads
// it again.
func (s *Session) Load(ctx context.Context, file string) error {
	s.loaded = slices.DeleteFunc(s.loaded, func(f string) bool { return f == file })
	s.loaded = append(s.loaded, file)
	path, err := s.lookupFile(ctx, file)
	if err != nil {
		return err
	}
	v, err := s.ev.EvalFile(ctx, path)
	if err != nil {
		return err
	}
	args, err := s.autoArgs()
	if err != nil {
		return err
	}
	if v, err = s.ev.AutoCall(ctx, v, args); err != nil {
		return err
	}
	return s.addAttrsToScope(ctx, v)
}

// lookupFile resolves a :l argument as Nix's lookupFileArg does.
func (s *Session) lookupFile(ctx context.Context, file string) (string, error) {
	if strings.HasPrefix(file, "<") && strings.HasSuffix(file, ">") {
		v, err := s.ev.EvalSource(ctx, sourceName, s.opts.Dir, []byte(file))
		if err != nil {
			return "", err
		}
		p, ok := v.(eval.Path)
		if !ok {
			return "", userError(fmt.Sprintf("cannot find '%s'", file))
		}
		return string(p), nil
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(s.opts.Dir, file)
	}
	return filepath.Clean(file), nil
}

// autoArgs builds the set of AutoArgs with the current evaluator.
func (s *Session) autoArgs() (*eval.Attrs, error) {
	m := make(map[string]eval.Value, len(s.opts.AutoArgs))
	for _, a := range s.opts.AutoArgs {
		if a.IsString {
			m[a.Name] = eval.Str(a.Expr)
			continue
		}
		v, err := s.ev.LazySource(sourceName, s.opts.Dir, []byte(a.Expr))
		if err != nil {
			return nil, err
		}
		m[a.Name] = v
	}
	return s.ev.NewAttrs(m), nil
}

// Reload starts over with a new evaluator and no variables, and loads
// again the files loaded so far, as Nix's :r does.
func (s *Session) Reload(ctx context.Context) error {
	s.initEnv()
	old := s.loaded
	s.loaded = nil
	s.LoadFiles(ctx, old)
	return nil
}

// LoadFiles loads files one after the other, saying so on Stderr
// ("Loading 'FILE'..."), as `nix repl FILE...` does. An error loading one
// is shown and the others are still loaded.
func (s *Session) LoadFiles(ctx context.Context, files []string) {
	for i, f := range files {
		if i > 0 {
			fmt.Fprintln(s.errw)
		}
		fmt.Fprintf(s.errw, "Loading '%s'...\n", f)
		if err := s.Load(ctx, f); err != nil {
			s.ShowError(err)
		}
	}
}
