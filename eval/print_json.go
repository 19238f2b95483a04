package eval

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/govix/govix/eval/syntax"
	"github.com/govix/govix/nixcompat/nixjson"
)

func init() {
	register(&Builtin{Name: "toJSON", Arity: 1, Fn: builtinToJSON})
}

// builtins.toJSON: the value as JSON; paths are copied to the store.
func builtinToJSON(c Call) Value {
	var b strings.Builder
	var ctx ContextBuilder
	c.Ev.writeJSON(&b, c.Args[0], true, true, &ctx, c.Pos)
	return NewString(b.String(), ctx.Context())
}

// WriteJSON writes v as `nix-instantiate --eval --json` does: as JSON
// (evaluated completely when strict), with no newline after it (Nix 2.8
// writes none). Paths are copied to the store, which needs a Store.
func (ev *Evaluator) WriteJSON(ctx context.Context, w io.Writer, v Value, strict bool) error {
	var b strings.Builder
	err := ev.run(ctx, func() {
		var ctx ContextBuilder
		ev.writeJSON(&b, v, strict, true, &ctx, syntax.NoPos)
	})
	if err != nil {
		return err
	}
	_, werr := io.WriteString(w, b.String())
	return werr
}

// writeJSON converts v to JSON as Nix's printValueAsJSON does.
func (ev *Evaluator) writeJSON(b *strings.Builder, v Value, strict, copyToStore bool, ctx *ContextBuilder, pos syntax.Pos) {
	if b.Cap()-b.Len() < 256 {
		// Grow by doubling: the builder's own growth, by a quarter for
		// large buffers, copies a big document many times over.
		b.Grow(max(b.Cap(), 256))
	}
	ev.enterDeep(pos)
	if strict {
		v = ev.forceAt(v, pos)
	}
	switch x := v.(type) {
	case Int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case Float:
		b.WriteString(nixjson.FormatFloat(float64(x)))
	case Bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case Null:
		b.WriteString("null")
	case *String:
		ctx.Add(x.ctx)
		if err := jsonString(b, x.s); err != "" {
			ev.raise(EvalError, syntax.NoPos, "JSON serialization error: %s", err)
		}
	case Path:
		if copyToStore {
			sp := ev.copyPathToStore(string(x))
			ctx.AddElem(sp)
			_ = jsonString(b, sp)
		} else {
			_ = jsonString(b, string(x))
		}
	case *Attrs:
		// The peeled value is written inside the trace lines of peeling.
		h, depth := len(ev.frames), ev.callDepth
		peeled, cameThrough := ev.peel(pos, x, true)
		if _, ok := peeled.(*Attrs); !ok {
			ev.writeJSON(b, peeled, strict, copyToStore && !cameThrough, ctx, pos)
			ev.frames = ev.frames[:h]
			ev.callDepth = depth
			break
		}
		x = peeled.(*Attrs)
		b.WriteByte('{')
		for i, a := range x.all() {
			if i > 0 {
				b.WriteByte(',')
			}
			_ = jsonString(b, ev.symbols.name(a.Name))
			b.WriteByte(':')
			ev.pushFrame(frame{kind: frameAttrJSON, pos: a.Pos, n: int(a.Name)})
			ev.writeJSON(b, a.Value, strict, copyToStore, ctx, a.Pos)
			ev.popFrame()
		}
		b.WriteByte('}')
		ev.frames = ev.frames[:h]
		ev.callDepth = depth
	case *List:
		b.WriteByte('[')
		for i, e := range x.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			ev.pushFrame(frame{kind: frameListIndex, pos: pos, n: i})
			ev.writeJSON(b, e, strict, copyToStore, ctx, pos)
			ev.popFrame()
		}
		b.WriteByte(']')
	default:
		p := pos
		if l, ok := x.(*Lambda); ok {
			p = l.fn.at
		}
		ev.raise(TypeError, p, "cannot convert %s to JSON", showType(v))
	}
	ev.leaveDeep()
}

// jsonString writes s as a JSON string as nlohmann::json does; for
// invalid UTF-8 it returns nlohmann's error message.
func jsonString(b *strings.Builder, s string) string {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				const hex = "0123456789abcdef"
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			} else if c < utf8.RuneSelf {
				b.WriteByte(c)
			} else {
				r, n := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && n <= 1 {
					return utf8Error(s, i)
				}
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
		}
		i++
	}
	b.WriteByte('"')
	return ""
}

// utf8Error words an invalid UTF-8 sequence at i as nlohmann::json does.
func utf8Error(s string, i int) string {
	c := s[i]
	n := 0
	switch {
	case c >= 0xC2 && c <= 0xDF:
		n = 1
	case c >= 0xE0 && c <= 0xEF:
		n = 2
	case c >= 0xF0 && c <= 0xF4:
		n = 3
	}
	for j := i + 1; j <= i+n; j++ {
		if j >= len(s) {
			return fmt.Sprintf("[json.exception.type_error.316] incomplete UTF-8 string; last byte: 0x%02X", s[len(s)-1])
		}
		if s[j]&0xC0 != 0x80 {
			return fmt.Sprintf("[json.exception.type_error.316] invalid UTF-8 byte at index %d: 0x%02X", j, s[j])
		}
	}
	if n > 0 && i+1 < len(s) {
		return fmt.Sprintf("[json.exception.type_error.316] invalid UTF-8 byte at index %d: 0x%02X", i+1, s[i+1])
	}
	return fmt.Sprintf("[json.exception.type_error.316] invalid UTF-8 byte at index %d: 0x%02X", i, c)
}
