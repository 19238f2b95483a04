// Package serde decodes Nix expressions into Go values, as encoding/json's
// Unmarshal decodes JSON: Nix as a configuration language for Go
// programs.
//
//	type Config struct {
//		Listen  string            `nix:"listen"`
//		Workers int               `nix:"workers"`
//		Routes  map[string]Route  `nix:"routes"`
//		Debug   bool              `nix:"debug,omitempty"`
//	}
//	var cfg Config
//	err := serde.UnmarshalFile("config.nix", &cfg)
//
// # Mapping
//
// A set decodes into a struct (attributes to fields, see below) or a map
// with string keys (or keys implementing encoding.TextUnmarshaler); a list
// into a slice or an array; an integer into any integer type (an error if
// it does not fit) or a float; a float into a float; a string or a path
// into a string, a []byte, a time.Duration (parsed by time.ParseDuration)
// or a type implementing encoding.TextUnmarshaler; a Boolean into a bool.
// null sets a pointer, map, slice or interface to nil and leaves other
// values alone. A pointer is allocated when needed. An `any` receives
// plain Go values (map[string]any, []any, int64, float64, string, bool,
// nil) as eval.Evaluator.ToGo makes them, and a field of type eval.Value
// receives the Nix value itself, unevaluated (a function, say, to call
// later with the evaluator given by WithEvaluator).
//
// # Struct fields
//
// An attribute goes to the field whose `nix` tag names it, else to the
// field of the same name, compared case-insensitively as encoding/json
// does (so attribute listenAddress fills field ListenAddress). The tag
// `nix:"-"` skips a field; the option "required" makes a missing
// attribute an error (`nix:"port,required"`); "omitempty" is accepted and
// ignored (it matters only for encoding). Fields of embedded structs are
// promoted, as in encoding/json. Attributes no field asks for are ignored,
// or an error with DisallowUnknownAttrs.
//
// # Defaults
//
// As with encoding/json, decoding only sets what the expression has: a
// field whose attribute is absent keeps its value, so defaults are set by
// filling the struct before decoding. Structs that serde creates itself
// (for map values, slice elements, pointers) are zero, unless their type
// implements Defaulter, whose SetDefaults is called on every struct
// before its attributes are decoded.
//
// # Laziness
//
// Nix is lazy and so is decoding: only the attributes the Go type asks
// for are evaluated, so a configuration can hold functions, throws and
// expensive values that a program never reads.
//
// # Errors
//
// Errors are *Error values naming the attribute path and, when known, the
// position of the attribute in the source:
//
//	config.nix:3:7: services.web.port: expected an integer, got a string
//
// An evaluation error met while decoding is wrapped the same way; the
// *eval.Error (errors.As) has Nix's full message and trace.
package serde

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/govix/govix/eval"
)

// Defaulter is implemented by structs that set their own defaults:
// SetDefaults is called on each struct value before the attributes of
// the set decoded into it are.
type Defaulter interface {
	SetDefaults()
}

// Error is a decoding error: what went wrong (Msg, or Err for an
// evaluation error), at which attribute path and where in the source.
type Error struct {
	Pos  string // "file:line:col" of the attribute, or ""
	Path string // the attribute path, such as "services.web.port" or "hosts[2]"; "" for the whole value
	Msg  string // "expected an integer, got a string"
	Err  error  // the evaluation error, if evaluation failed
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos != "" {
		b.WriteString(e.Pos)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Msg != "" {
		b.WriteString(e.Msg)
	} else if ee, ok := e.Err.(*eval.Error); ok {
		b.WriteString(ee.Msg)
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the evaluation error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Option configures Unmarshal, UnmarshalFile and NewDecoder.
type Option func(*config)

type config struct {
	ctx           context.Context
	evalOpts      eval.Options
	evaluator     *eval.Evaluator
	name, baseDir string
	args          []arg
	disallow      bool
}

type arg struct {
	name string
	v    any
	expr string
	isE  bool
}

// WithContext sets the context evaluation runs under (cancelling it
// interrupts the evaluation).
func WithContext(ctx context.Context) Option { return func(c *config) { c.ctx = ctx } }

// WithEvalOptions sets the options of the evaluator serde creates: its IO
// (eval.MemIO for a sandbox), search path, and so on.
func WithEvalOptions(o eval.Options) Option { return func(c *config) { c.evalOpts = o } }

// WithEvaluator makes serde use ev instead of creating an evaluator.
func WithEvaluator(ev *eval.Evaluator) Option { return func(c *config) { c.evaluator = ev } }

// WithFileName names the source given to Unmarshal in positions
// (default «string») and, unless WithBaseDir says otherwise, sets the
// directory relative paths in it are resolved against to the name's.
func WithFileName(name string) Option { return func(c *config) { c.name = name } }

// WithBaseDir sets the directory relative paths in the source given to
// Unmarshal are resolved against (default: the working directory).
func WithBaseDir(dir string) Option { return func(c *config) { c.baseDir = dir } }

// Arg passes an argument to an expression that is a function taking a
// set (`{ pkgs, port ? 80, ... }: ...`), as nix-instantiate's --arg does.
// v is a Go value (converted as Marshal-like: bool, numbers, strings,
// slices, maps with string keys, structs by their nix tags) or an
// eval.Value. A function without arguments given is still called, if all
// its arguments have defaults.
func Arg(name string, v any) Option {
	return func(c *config) { c.args = append(c.args, arg{name: name, v: v}) }
}

// ArgExpr passes an argument given as Nix source, evaluated lazily.
func ArgExpr(name, nixSource string) Option {
	return func(c *config) { c.args = append(c.args, arg{name: name, expr: nixSource, isE: true}) }
}

// DisallowUnknownAttrs makes an attribute that no struct field asks for
// an error (by default such attributes are ignored, and never evaluated).
func DisallowUnknownAttrs() Option { return func(c *config) { c.disallow = true } }

func newConfig(opts []Option) *config {
	c := &config{ctx: context.Background()}
	for _, o := range opts {
		o(c)
	}
	if c.evaluator == nil {
		c.evaluator = eval.New(c.evalOpts)
	}
	return c
}

// Unmarshal evaluates the Nix expression nixSource and decodes its value
// into v, which must be a non-nil pointer. If the expression is a
// function taking a set, it is called with the arguments given by Arg and
// ArgExpr.
func Unmarshal(nixSource []byte, v any, opts ...Option) error {
	c := newConfig(opts)
	name, dir := c.name, c.baseDir
	if name == "" {
		name = "«string»"
	} else if dir == "" {
		if abs, err := filepath.Abs(name); err == nil {
			dir = filepath.Dir(abs)
		}
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		dir = wd
	}
	val, err := c.evaluator.EvalSource(c.ctx, name, dir, nixSource)
	if err != nil {
		return &Error{Pos: errorPos(c.evaluator, err, nil), Err: err}
	}
	return c.decodeTop(val, v, nil)
}

// UnmarshalFile evaluates the Nix file at path (a directory means its
// default.nix) and decodes its value into v, as Unmarshal does.
func UnmarshalFile(path string, v any, opts ...Option) error {
	c := newConfig(opts)
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	// Positions name the file as the caller did.
	rename := func(p string) string {
		if strings.HasPrefix(p, abs) && path != abs {
			return path + p[len(abs):]
		}
		return p
	}
	val, err := c.evaluator.EvalFile(c.ctx, abs)
	if err != nil {
		return &Error{Pos: errorPos(c.evaluator, err, rename), Err: err}
	}
	return c.decodeTop(val, v, rename)
}

// errorPos is the position of an evaluation error, if it has one.
func errorPos(ev *eval.Evaluator, err error, rename func(string) string) string {
	var ee *eval.Error
	if errors.As(err, &ee) && ee.Pos.IsValid() {
		p := ev.Position(ee.Pos)
		if rename != nil {
			p.Filename = rename(p.Filename)
		}
		return p.String()
	}
	return ""
}

// decodeTop calls a function value with the arguments, then decodes.
func (c *config) decodeTop(val eval.Value, v any, rename func(string) string) error {
	ev := c.evaluator
	args := map[string]eval.Value{}
	for _, a := range c.args {
		if a.isE {
			x, err := ev.LazySource("«string»", c.baseDir, []byte(a.expr))
			if err != nil {
				return &Error{Path: "argument " + a.name, Err: err}
			}
			args[a.name] = x
			continue
		}
		x, err := ToValue(ev, a.v)
		if err != nil {
			return &Error{Path: "argument " + a.name, Msg: err.Error()}
		}
		args[a.name] = x
	}
	val, err := ev.AutoCall(c.ctx, val, ev.NewAttrs(args))
	if err != nil {
		return &Error{Pos: errorPos(ev, err, rename), Err: err}
	}
	d := &Decoder{ev: ev, ctx: c.ctx, disallow: c.disallow, rename: rename}
	return d.Decode(val, v)
}

// NewDecoder returns a decoder of values evaluated by the evaluator given
// with WithEvaluator (or a new one), for programs that evaluate
// themselves and decode parts of the result.
func NewDecoder(opts ...Option) *Decoder {
	c := newConfig(opts)
	return &Decoder{ev: c.evaluator, ctx: c.ctx, disallow: c.disallow}
}

// Evaluator returns the decoder's evaluator.
func (d *Decoder) Evaluator() *eval.Evaluator { return d.ev }

// Decode decodes the Nix value val into v, a non-nil pointer, forcing
// only what v's type needs.
func (d *Decoder) Decode(val eval.Value, v any) error {
	return d.decodeRoot(val, v)
}

// fmtErr is a shorthand for a decoding error message.
func fmtErr(format string, args ...any) string { return fmt.Sprintf(format, args...) }
