package glue

import (
	"math"
	"strconv"

	"github.com/govix/govix/eval"
)

// The attributes of a derivation with __structuredAttrs are passed to the
// builder as JSON in the __json variable, so the JSON is part of the
// derivation and of its path: it must be written exactly as Nix 2.8's
// printValueAsJSON writes it, which differs from what builtins.toJSON
// gives in current Nix (floats with six significant digits, "3" for 3.0;
// control characters other than \n, \r and \t as \u00XX).

// maxJSONDepth bounds the nesting of values written as JSON; deeper values
// are an error (Nix's stack overflow), not a crash.
const maxJSONDepth = 10000

// appendJSON28 appends v as Nix 2.8's printValueAsJSON (strict) writes it,
// adding the contexts of strings (and of paths, which are copied to the
// store) to ctx.
func appendJSON28(c eval.Call, b []byte, v eval.Value, ctx *eval.ContextBuilder, depth int) []byte {
	if depth > maxJSONDepth {
		c.Errorf(eval.StackOverflow, "stack overflow; max-call-depth exceeded")
	}
	v = c.ForceValue(v)
	switch x := v.(type) {
	case eval.Int:
		return strconv.AppendInt(b, int64(x), 10)
	case eval.Bool:
		return strconv.AppendBool(b, bool(x))
	case eval.Null:
		return append(b, "null"...)
	case eval.Float:
		return appendFloat28(b, float64(x))
	case *eval.String:
		ctx.Add(x.Context())
		return appendJSONString28(b, x.String())
	case eval.Path:
		s, sctx := c.CoerceValue(x, "", false, true)
		ctx.Add(sctx)
		return appendJSONString28(b, s)
	case *eval.List:
		b = append(b, '[')
		for i, e := range x.Elems() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON28(c, b, e, ctx, depth+1)
		}
		return append(b, ']')
	case *eval.Attrs:
		if c.Get(x, "__toString") != nil {
			s, sctx := c.CoerceValue(x, "", false, false)
			ctx.Add(sctx)
			return appendJSONString28(b, s)
		}
		if o := c.Get(x, "outPath"); o != nil {
			return appendJSON28(c, b, o.Value, ctx, depth+1)
		}
		b = append(b, '{')
		for i, a := range x.All() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString28(b, c.Ev.SymName(a.Name))
			b = append(b, ':')
			b = appendJSON28(c, b, a.Value, ctx, depth+1)
		}
		return append(b, '}')
	}
	c.Errorf(eval.TypeError, "cannot convert %s to JSON", showKind(v))
	return b
}

// appendJSONString28 quotes s as Nix 2.8's toJSON: '"' and '\' escaped,
// \n, \r, \t, other bytes below 0x20 as \u00XX, everything else (UTF-8
// included) as it is.
func appendJSONString28(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendFloat28 writes f as a C++ ostream does by default (%g with six
// significant digits).
func appendFloat28(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', 6, 64)
}
