package eval

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/govix/govix/eval/syntax"
)

// ErrorKind classifies evaluation errors the way Nix's exception classes
// do; it decides what builtins.tryEval catches.
type ErrorKind uint8

// The kinds of errors.
const (
	EvalError         ErrorKind = iota // any other evaluation error
	TypeError                          // a value of the wrong type
	ThrownError                        // builtins.throw (catchable)
	AssertionError                     // a failed assert (catchable)
	Abort                              // builtins.abort
	InfiniteRecursion                  // a thunk needed its own value
	StackOverflow                      // max-call-depth exceeded
	UndefinedVar                       // a variable bound nowhere
	MissingArgument                    // auto-call without a value for a formal
	ParseError                         // a syntax error in a file being evaluated
	Interrupted                        // the context was cancelled
	InternalError                      // a bug in govix
)

// Catchable reports whether builtins.tryEval catches errors of this kind.
func (k ErrorKind) Catchable() bool { return k == ThrownError || k == AssertionError }

// Error is a Nix evaluation error: a message, the position it is about,
// and the trace of what the evaluator was doing (outermost first).
type Error struct {
	Kind ErrorKind
	Msg  string
	Pos  syntax.Pos
	// Suggestions are names the user may have meant ("Did you mean ...?").
	Suggestions []string

	frames     []frame // outermost first
	ev         *Evaluator
	extraTrace []TraceEntry // added after the fact by AddTrace (innermost first)
	// base is the height of the trace stack that frames[0] was at (frames
	// below it are left out of very deep traces); caughtAt is the height
	// where the error was caught (tryEval, the API boundary).
	base, caughtAt int
}

// TraceEntry is one line of an error's trace.
type TraceEntry struct {
	Pos syntax.Pos
	Msg string
	// Always entries are shown even when the trace is truncated
	// (addErrorContext's, as Nix's TracePrint::Always).
	Always bool
}

func (e *Error) Error() string {
	if e.ev != nil && e.Pos.IsValid() {
		return e.Msg + " at " + e.ev.fset.Position(e.Pos).String()
	}
	return e.Msg
}

// Is makes errors.Is match on the kind: errors.Is(err, &eval.Error{Kind: eval.ThrownError}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Kind == e.Kind
}

// Trace returns the error's trace, outermost first.
func (e *Error) Trace() []TraceEntry { return e.trace(true) }

// trace is Trace; without showTrace it leaves out what Nix only records
// with --show-trace (the calls of lambdas).
func (e *Error) trace(showTrace bool) []TraceEntry {
	var out []TraceEntry
	for _, f := range e.frames {
		if !showTrace && f.kind == frameLambda {
			continue
		}
		out = append(out, f.entries(e.ev)...)
	}
	for i := len(e.extraTrace) - 1; i >= 0; i-- {
		out = append(out, e.extraTrace[i])
	}
	return out
}

// insertTraceAlways is insertTrace for lines shown even in truncated
// traces.
func (e *Error) insertTraceAlways(h int, msgs ...string) {
	h = min(max(h-e.base, 0), len(e.frames))
	ins := make([]frame, len(msgs))
	for i, m := range msgs {
		ins[i] = frame{kind: frameMsgAlways, p: m}
	}
	e.frames = append(e.frames[:h:h], append(ins, e.frames[h:]...)...)
}

// AddTrace adds an entry to the trace, inside everything already there
// (used by code that catches and rethrows errors, such as import).
func (e *Error) AddTrace(pos syntax.Pos, msg string) {
	e.extraTrace = append(e.extraTrace, TraceEntry{Pos: pos, Msg: msg})
}

// Format renders the error as Nix prints it on standard error, starting
// with "error:". With showTrace every trace entry is shown; without it,
// only the first few, as Nix does.
func (e *Error) Format(showTrace bool) string {
	var fset *syntax.FileSet
	if e.ev != nil {
		fset = e.ev.fset
	}
	var b strings.Builder
	const indentRest = "       "
	trace := e.trace(showTrace)
	if len(trace) > 0 {
		count := 0
		truncated := false
		seen := map[TraceEntry]bool{}
		var skipped []TraceEntry
		flush := func() {
			if len(skipped) == 0 {
				return
			}
			if len(skipped) <= 5 {
				for _, t := range skipped {
					writeTrace(&b, fset, t, &count)
				}
			} else {
				// Nix means to forget the frames seen here, but its
				// printSkippedTracesMaybe clears a copy of the set.
				fmt.Fprintf(&b, "\n(%d duplicate frames omitted)\n", len(skipped))
			}
			skipped = skipped[:0]
		}
		for _, t := range trace {
			if t.Msg == "" {
				continue
			}
			if !showTrace && count > 3 {
				truncated = true
			}
			if truncated && !t.Always {
				continue
			}
			if seen[t] {
				skipped = append(skipped, t)
				continue
			}
			seen[t] = true
			flush()
			count++
			writeTrace(&b, fset, t, &count)
		}
		flush()
		if truncated {
			b.WriteString("\n(stack trace truncated; use '--show-trace' to show the full, detailed trace)\n")
		}
		b.WriteString("\nerror: ")
	}
	b.WriteString(e.Msg)
	b.WriteString("\n")
	writePos(&b, fset, "", e.Pos)
	if len(e.Suggestions) > 0 {
		b.WriteString("Did you mean ")
		b.WriteString(joinSuggestions(e.Suggestions))
		b.WriteString("?\n")
	}
	body := strings.TrimRight(b.String(), "\n")
	// Indent every line after the first as Nix does.
	lines := strings.Split(body, "\n")
	var out strings.Builder
	out.WriteString("error:")
	if len(trace) == 0 {
		out.WriteString(" ")
	}
	for i, l := range lines {
		if i > 0 {
			out.WriteString("\n")
			l = strings.TrimRight(indentRest+l, " ")
		}
		out.WriteString(l)
	}
	return out.String()
}

func joinSuggestions(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return "one of " + strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func writeTrace(b *strings.Builder, fset *syntax.FileSet, t TraceEntry, count *int) {
	b.WriteString("\n… ")
	b.WriteString(t.Msg)
	b.WriteString("\n")
	if writePos(b, fset, "  ", t.Pos) {
		*count++
	}
}

// writePos writes "at file:line:col:" and the lines around it.
func writePos(b *strings.Builder, fset *syntax.FileSet, indent string, pos syntax.Pos) bool {
	if fset == nil || !pos.IsValid() {
		return false
	}
	f := fset.File(pos)
	if f == nil {
		return false
	}
	p := f.Position(pos)
	b.WriteString(indent)
	b.WriteString("at ")
	b.WriteString(p.String())
	b.WriteString(":")
	src := f.Source()
	lines := strings.Split(string(src), "\n")
	if p.Line-1 < len(lines) {
		if p.Line >= 2 {
			fmt.Fprintf(b, "\n %5d| %s", p.Line-1, lines[p.Line-2])
		}
		fmt.Fprintf(b, "\n %5d| %s", p.Line, lines[p.Line-1])
		fmt.Fprintf(b, "\n      |%s^", strings.Repeat(" ", p.Column))
		if p.Line < len(lines) {
			fmt.Fprintf(b, "\n %5d| %s", p.Line+1, lines[p.Line])
		}
		b.WriteString("\n")
	}
	return true
}

// formatMessage formats a message with a position as Nix formats
// warnings: "warning: MSG" and the source around the position, indented.
func (ev *Evaluator) formatMessage(prefix, msg string, pos syntax.Pos) string {
	var b strings.Builder
	b.WriteString(msg)
	b.WriteString("\n")
	writePos(&b, ev.fset, "", pos)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	indent := strings.Repeat(" ", len(prefix)+1)
	for i := range lines {
		if i > 0 {
			lines[i] = strings.TrimRight(indent+lines[i], " ")
		}
	}
	return prefix + " " + strings.Join(lines, "\n")
}

// frameKind says what a frame of the evaluator's trace stack records.
type frameKind uint8

const (
	frameLambda         frameKind = iota // calling a lambda: pos is the call site
	frameBuiltin                         // calling a builtin: pos is the call site
	frameArg                             // forcing argument n of a builtin
	frameMsg                             // a fixed message at a position
	frameAttr                            // evaluating an attribute (deepSeq, printing)
	frameFunctor                         // calling a functor
	frameImport                          // evaluating a file
	frameCallSite                        // "from call site" alone
	frameListIndex                       // evaluating a list element
	frameAttrJSON                        // evaluating attribute (toJSON wording)
	frameSelect                          // forcing a selected attribute: n >= 0 "while evaluating the attribute", n < 0 "from the definition of"
	frameRecursion                       // where the infinite recursion starts
	frameMsgAlways                       // a message shown even in truncated traces
	frameToStringResult                  // using what __toString returned (p)
	frameOutPath                         // evaluating or using an outPath attribute (p: its value)
	frameAttrMsg                         // a message naming attribute n (p: *AttrFrame)
)

// frame is one entry of the evaluator's trace stack. Frames are pushed and
// popped around calls and other steps that give errors context; when an
// error is raised the stack is copied into it.
type frame struct {
	kind frameKind
	pos  syntax.Pos
	n    int
	p    any // *lambdaNode, *Builtin, string or Sym, depending on kind
}

var ordinals = [...]string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"}

func (f *frame) entries(ev *Evaluator) []TraceEntry {
	switch f.kind {
	case frameLambda:
		ln := f.p.(*lambdaNode)
		name := "anonymous lambda"
		if ln.name != "" {
			name = "'" + ln.name + "'"
		}
		if f.pos.IsValid() {
			return []TraceEntry{{Pos: f.pos, Msg: "from call site"}, {Pos: ln.at, Msg: "while calling " + name}}
		}
		return []TraceEntry{{Pos: ln.at, Msg: "while calling " + name}}
	case frameCallSite:
		return []TraceEntry{{Pos: f.pos, Msg: "from call site"}}
	case frameAttrMsg:
		t := f.p.(*AttrFrame)
		return []TraceEntry{{Pos: f.pos, Msg: t.Before + ev.symbols.name(Sym(f.n)) + t.After}}
	case frameBuiltin:
		b, _ := f.p.(*Builtin)
		if b == nil || b.NoTrace {
			return nil
		}
		return []TraceEntry{{Pos: f.pos, Msg: "while calling the '" + b.Name + "' builtin"}}
	case frameArg:
		b := f.p.(*Builtin)
		ord := fmt.Sprint(f.n + 1)
		if f.n < len(ordinals) {
			ord = ordinals[f.n]
		}
		return []TraceEntry{{Pos: f.pos, Msg: "while evaluating the " + ord + " argument passed to builtins." + b.Name}}
	case frameMsg:
		if m, ok := f.p.(*traceMsg); ok {
			return []TraceEntry{{Pos: f.pos, Msg: m.s}}
		}
		if b, ok := f.p.(*byte); ok {
			return []TraceEntry{{Pos: f.pos, Msg: unsafe.String(b, f.n)}}
		}
		return []TraceEntry{{Pos: f.pos, Msg: f.p.(string)}}
	case frameMsgAlways:
		return []TraceEntry{{Pos: f.pos, Msg: f.p.(string), Always: true}}
	case frameAttr:
		return []TraceEntry{{Pos: f.pos, Msg: "while evaluating the attribute '" + ev.symbols.name(Sym(f.n)) + "'"}}
	case frameSelect:
		if f.n >= 0 {
			return []TraceEntry{{Pos: f.pos, Msg: "while evaluating the attribute '" + ev.showSelectPath(f.p, f.n) + "'"}}
		}
		return []TraceEntry{{Pos: f.pos, Msg: "from the definition of '" + ev.showSelectPath(f.p, -1-f.n) + "'"}}
	case frameToStringResult:
		return []TraceEntry{{Pos: f.pos, Msg: "while " + usingOrEvaluating(f.p) + " the result of the `__toString` attribute"}}
	case frameOutPath:
		return []TraceEntry{{Pos: f.pos, Msg: "while " + usingOrEvaluating(f.p) + " the `outPath` attribute"}}
	case frameRecursion:
		return []TraceEntry{{Msg: "entering the infinite recursion"}}
	case frameAttrJSON:
		return []TraceEntry{{Pos: f.pos, Msg: "while evaluating attribute '" + ev.symbols.name(Sym(f.n)) + "'"}}
	case frameListIndex:
		return []TraceEntry{{Pos: f.pos, Msg: fmt.Sprintf("while evaluating list element at index %d", f.n)}}
	case frameFunctor:
		return []TraceEntry{{Pos: f.pos, Msg: "while calling a functor (an attribute set with a '__functor' attribute)"}}
	case frameImport:
		return []TraceEntry{{Msg: "while evaluating the file '" + f.p.(string) + "':"}}
	}
	return nil
}

// usingOrEvaluating is Nix's WhileTryingToUse: "using" a value that was
// evaluated, "evaluating" one whose evaluation failed.
func usingOrEvaluating(v any) string {
	if t, ok := v.(*Thunk); ok && t.env != nil {
		return "evaluating"
	}
	return "using"
}

// maxSavedFrames bounds how much of the trace stack an error copies.
const maxSavedFrames = 20000

// newError makes an error of kind at pos with the current trace.
func (ev *Evaluator) newError(kind ErrorKind, pos syntax.Pos, msg string) *Error {
	fr := ev.frames
	if len(fr) > maxSavedFrames {
		fr = fr[len(fr)-maxSavedFrames:]
	}
	return &Error{Kind: kind, Msg: msg, Pos: pos, frames: append([]frame(nil), fr...), ev: ev, base: len(ev.frames) - len(fr)}
}

// reraise returns the error a thunk that failed with err raises when it is
// forced again. Nix keeps the exception as it was when it was caught (the
// trace lines added on the way out to the catch included) and throws a
// copy, so what is added to the trace now does not show in later forces:
// the copy's trace is the current stack with the part of err's trace that
// was inside the catch on top.
func (ev *Evaluator) reraise(err *Error) *Error {
	e := *err
	inner := err.frames[min(max(err.caughtAt-err.base, 0), len(err.frames)):]
	fr := ev.frames
	if len(fr)+len(inner) > maxSavedFrames {
		fr = fr[max(len(fr)+len(inner)-maxSavedFrames, 0):]
		inner = inner[max(len(inner)-maxSavedFrames, 0):]
	}
	e.frames = make([]frame, 0, len(fr)+len(inner))
	e.frames = append(append(e.frames, fr...), inner...)
	e.base = len(ev.frames) - len(fr)
	e.caughtAt = 0
	e.extraTrace = append([]TraceEntry(nil), err.extraTrace...)
	e.Suggestions = append([]string(nil), err.Suggestions...)
	return &e
}

// raise panics with an error; the evaluator recovers it where errors are
// caught (tryEval) or at its API boundary.
func (ev *Evaluator) raise(kind ErrorKind, pos syntax.Pos, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	panic(ev.newError(kind, pos, msg))
}

// typeError raises "expected X but found Y: value".
func (ev *Evaluator) typeError(pos syntax.Pos, want string, v Value) {
	ev.raise(TypeError, pos, "expected %s but found %s: %s", want, showType(v), ev.errorValue(v))
}

func (ev *Evaluator) stackOverflow(pos syntax.Pos) {
	ev.raise(StackOverflow, pos, "stack overflow; max-call-depth exceeded")
}

// pushFrame and popFrame maintain the trace stack.
func (ev *Evaluator) pushFrame(f frame) { ev.frames = append(ev.frames, f) }
func (ev *Evaluator) popFrame()         { ev.frames = ev.frames[:len(ev.frames)-1] }

// savedState is the evaluator's stack heights at a point where errors are
// caught; restoring it after a recovered panic undoes the unwound work.
type savedState struct {
	frames, forcing, args, callDepth int
}

func (ev *Evaluator) save() savedState {
	return savedState{len(ev.frames), len(ev.forcing), len(ev.args), ev.callDepth}
}

// caught is restore where err is caught for good (not rethrown): thunks
// that failed with it remember it as it is now.
func (ev *Evaluator) caught(s savedState, err *Error) {
	if err != nil {
		err.caughtAt = s.frames
	}
	ev.restore(s, err)
}

// restore resets the stacks after recovering err (nil for a non-Nix panic).
func (ev *Evaluator) restore(s savedState, err *Error) {
	ev.unwindForcing(s.forcing, err)
	clear(ev.frames[s.frames:])
	ev.frames = ev.frames[:s.frames]
	clear(ev.args[s.args:])
	ev.args = ev.args[:s.args]
	ev.callDepth = s.callDepth
}

// traceMsg is a trace line pushed on hot paths: a pointer, so that the
// frame holds it without allocating (a string in an interface would).
type traceMsg struct{ s string }

// The trace lines of the operators, as Nix words them.
var (
	msgBranch      = &traceMsg{"while evaluating a branch condition"}
	msgAssertCond  = &traceMsg{"in the condition of the assert statement"}
	msgSelect      = &traceMsg{"while selecting an attribute"}
	msgHasAttrArg  = &traceMsg{"in the argument of '?'"}
	msgUpdateRight = &traceMsg{"in the right operand of '//'"}
	msgUpdateLeft  = &traceMsg{"in the left operand of '//'"}
	msgNotArg      = &traceMsg{"in the argument of '!'"}
	msgAndLeft     = &traceMsg{"in the left operand of '&&'"}
	msgAndRight    = &traceMsg{"in the right operand of '&&'"}
	msgOrLeft      = &traceMsg{"in the left operand of '||'"}
	msgOrRight     = &traceMsg{"in the right operand of '||'"}
	msgImplLeft    = &traceMsg{"in the left operand of '->'"}
	msgImplRight   = &traceMsg{"in the right operand of '->'"}
	msgConcatLeft  = &traceMsg{"in the left operand of '++'"}
	msgConcatRight = &traceMsg{"in the right operand of '++'"}
	msgAddOperand  = &traceMsg{"in an operand of '+'"}
	msgEqLeft      = &traceMsg{"in the left operand of '=='"}
	msgEqRight     = &traceMsg{"in the right operand of '=='"}
	msgNEqLeft     = &traceMsg{"in the left operand of '!='"}
	msgNEqRight    = &traceMsg{"in the right operand of '!='"}
)

// msgFrame is a frame with the message msg at pos. The string is kept as
// its bytes and length: converting a string to the frame's interface
// would allocate (for every argument a builtin forces), a pointer does
// not.
func msgFrame(pos syntax.Pos, msg string) frame {
	return frame{kind: frameMsg, pos: pos, n: len(msg), p: unsafe.StringData(msg)}
}
