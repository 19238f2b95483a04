package eval

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// builtins.fromTOML: a TOML document as a set (see builtins_toml_parse.go
// for the parser). Dates and times are an error unless the
// parse-toml-timestamps experimental feature is on; then they become
// { _type = "timestamp"; value = "1979-05-27T07:32:00Z"; } with the text
// current Nix normalises them to.

func init() {
	register(&Builtin{Name: "fromTOML", Arity: 1, Fn: builtinFromTOML})
}

func builtinFromTOML(c Call) Value {
	s := c.stringNoCtxMsg(c.Args[0], "while evaluating the argument passed to builtins.fromTOML")
	doc, perr := parseTOML(s)
	if perr != nil {
		c.Errorf(EvalError, "while parsing TOML: %s", perr.msg)
	}
	conv := tomlConverter{ev: c.Ev, timestamps: c.Ev.features["parse-toml-timestamps"]}
	v, err := conv.value(doc)
	if err != "" {
		c.Errorf(EvalError, "while parsing TOML: %s", err)
	}
	return v
}

type tomlConverter struct {
	ev         *Evaluator
	timestamps bool
}

// noNulByte is Nix's forceNoNullByte, as the message it gives.
func noNulByte(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return ""
	}
	return fmt.Sprintf("error: input string '%s' cannot be represented as Nix string because it contains null bytes",
		strings.ReplaceAll(s, "\x00", "␀"))
}

// value converts a TOML value; it returns an error message instead for
// strings with NUL bytes and for dates without the feature.
func (t *tomlConverter) value(v *tomlValue) (Value, string) {
	switch v.typ {
	case tomlTable:
		attrs := make([]Attr, 0, len(v.table))
		for _, k := range slices.Sorted(maps.Keys(v.table)) {
			if e := noNulByte(k); e != "" {
				return nil, e
			}
			x, e := t.value(v.table[k])
			if e != "" {
				return nil, e
			}
			attrs = append(attrs, Attr{Name: t.ev.symbols.intern(k), Value: x})
		}
		return t.ev.makeAttrs(attrs, false), ""
	case tomlArray:
		elems := make([]Value, len(v.array))
		for i, x := range v.array {
			e, msg := t.value(x)
			if msg != "" {
				return nil, msg
			}
			elems[i] = e
		}
		return NewList(elems), ""
	case tomlBoolean:
		return mkBool(v.b), ""
	case tomlInteger:
		return Int(v.i), ""
	case tomlFloating:
		return Float(v.f), ""
	case tomlString:
		if e := noNulByte(v.str); e != "" {
			return nil, e
		}
		return Str(v.str), ""
	}
	if !t.timestamps {
		return nil, "Dates and times are not supported"
	}
	return t.ev.makeAttrs([]Attr{
		{Name: t.ev.symbols.intern("_type"), Value: Str("timestamp")},
		{Name: t.ev.symbols.intern("value"), Value: Str(v.dt.String())},
	}, false), ""
}

// String formats a date or time as current Nix does: toml11 4's output
// after Nix's normalisation (an upper-case T, seconds always, the fraction
// of a second in 3, 6 or 9 digits as needed).
func (d tomlDatetime) String() string {
	var b strings.Builder
	if d.hasDate {
		fmt.Fprintf(&b, "%04d-%02d-%02d", d.year, d.month, d.day)
		if d.hasTime {
			b.WriteByte('T')
		}
	}
	if d.hasTime {
		fmt.Fprintf(&b, "%02d:%02d:%02d", d.hour, d.minute, d.second)
		sub := fmt.Sprintf("%03d%03d%03d", d.milli, d.micro, d.nano)
		switch {
		case d.nano != 0:
			b.WriteString("." + sub)
		case d.micro != 0:
			b.WriteString("." + sub[:6])
		case d.milli != 0:
			b.WriteString("." + sub[:3])
		}
	}
	if d.hasZone {
		if d.offsetHour == 0 && d.offsetMinute == 0 {
			b.WriteByte('Z')
		} else {
			m := d.offsetHour*60 + d.offsetMinute
			sign := byte('+')
			if m < 0 {
				sign, m = '-', -m
			}
			fmt.Fprintf(&b, "%c%02d:%02d", sign, m/60, m%60)
		}
	}
	return b.String()
}
