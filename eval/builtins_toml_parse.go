package eval

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A TOML parser that accepts and rejects what toml11 3.7, the parser Nix
// 2.8 is built with, accepts and rejects, and reads values as it does.
// It follows toml11's lexers (the combinators of its lexer.hpp) and parser
// (parser.hpp) function by function, including its rules for defining a
// table in several places, which toml11 decides by looking at the source
// text ("region") each table was defined by; here a region records what
// that text was (a [table] header, a dotted key, an inline table, ...).
// Errors carry toml11's messages, formatted as its format_underline does.
//
// Where current Nix (toml11 4) differs and the language corpus shows it,
// current Nix is followed: an integer beyond 64 bits is an error (toml11
// 3.7 clamped it to the largest integer).

// tomlType is toml11's value_t.
type tomlType uint8

const (
	tomlBoolean tomlType = iota + 1
	tomlInteger
	tomlFloating
	tomlString
	tomlOffsetDatetime
	tomlLocalDatetime
	tomlLocalDate
	tomlLocalTime
	tomlArray
	tomlTable
)

var tomlTypeNames = [...]string{
	tomlBoolean: "boolean", tomlInteger: "integer", tomlFloating: "floating", tomlString: "string",
	tomlOffsetDatetime: "offset_datetime", tomlLocalDatetime: "local_datetime", tomlLocalDate: "local_date",
	tomlLocalTime: "local_time", tomlArray: "array", tomlTable: "table",
}

// regionKind says what source text a value was defined by.
type regionKind uint8

const (
	regValue       regionKind = iota // a value's own text (42, "s", [1, 2])
	regInline                        // an inline table's text, { ... }
	regStdHeader                     // a [table.key] header
	regArrayHeader                   // a [[table.key]] header
	regKey                           // a (dotted) key, a.b.c
)

// tomlRegion is the text a value was defined by, as far as toml11's
// checks look at it, and where it is.
type tomlRegion struct {
	kind        regionKind
	keys        []string // the keys of a header or a dotted key
	first, last int      // offsets in the source
}

// tomlValue is a parsed TOML value.
type tomlValue struct {
	typ   tomlType
	table map[string]*tomlValue
	array []*tomlValue
	str   string
	i     int64
	f     float64
	b     bool
	dt    tomlDatetime
	reg   tomlRegion
}

// tomlDatetime holds the fields of a date, a time or both.
type tomlDatetime struct {
	year, month, day          int
	hour, minute, second      int
	milli, micro, nano        int
	offsetHour, offsetMinute  int
	hasDate, hasTime, hasZone bool
}

// tomlError is an error of the parser (toml11's syntax_error and error
// results alike): its what() text.
type tomlError struct{ msg string }

// tomlMaxDepth bounds the nesting of arrays and inline tables (toml11
// recurses without a bound).
const tomlMaxDepth = 10000

type tomlParser struct {
	src   string
	depth int
}

// parseTOML parses a TOML document into its root table.
func parseTOML(text string) (v *tomlValue, err *tomlError) {
	// toml::parse appends a newline unless the text ends with one (or CR).
	if text != "" && text[len(text)-1] != '\n' && text[len(text)-1] != '\r' {
		text += "\n"
	}
	p := &tomlParser{src: text}
	defer func() {
		if x := recover(); x != nil {
			e, ok := x.(*tomlError)
			if !ok {
				panic(x)
			}
			v, err = nil, e
		}
	}()
	i := 0
	if strings.HasPrefix(text, "\xef\xbb\xbf") {
		i = 3
	}
	v, _, e := p.parseFile(i)
	if e != nil {
		return nil, e
	}
	return v, nil
}

// throw raises a toml11 syntax_error.
func (p *tomlParser) throw(msg string) { panic(&tomlError{msg: msg}) }

// at returns the byte at i, or 0 past the end.
func (p *tomlParser) at(i int) byte {
	if i < len(p.src) {
		return p.src[i]
	}
	return 0
}

// ---------------------------------------------------------------------
// Error messages: format_underline.

// tomlLoc is a place an error message points at: a location (size 1,
// underlined ^---) or a region (underlined ~~~).
type tomlLoc struct {
	pos, size int
	comment   string
}

func (p *tomlParser) loc(pos int, comment string) tomlLoc {
	return tomlLoc{pos: pos, size: 1, comment: comment}
}

func (p *tomlParser) regLoc(first, last int, comment string) tomlLoc {
	return tomlLoc{pos: first, size: last - first, comment: comment}
}

// lineOf returns the line number (1-based), column (1-based) and text of
// the line holding pos.
func (p *tomlParser) lineOf(pos int) (int, int, string) {
	pos = min(pos, len(p.src))
	start := strings.LastIndexByte(p.src[:pos], '\n') + 1
	end := strings.IndexByte(p.src[pos:], '\n')
	if end < 0 {
		end = len(p.src)
	} else {
		end += pos
	}
	return strings.Count(p.src[:pos], "\n") + 1, pos - start + 1, p.src[start:end]
}

func (p *tomlParser) format(title string, locs []tomlLoc, hints ...string) string {
	width := 1
	for _, l := range locs {
		n, _, _ := p.lineOf(l.pos)
		width = max(width, len(strconv.Itoa(n)))
	}
	var b strings.Builder
	if len(title) > 7 && strings.HasPrefix(title, "[error]") {
		b.WriteString("[error]" + title[7:] + "\n")
	} else {
		b.WriteString("[error] " + title + "\n")
	}
	pad := strings.Repeat(" ", width+1)
	one := func(l tomlLoc) {
		n, col, line := p.lineOf(l.pos)
		fmt.Fprintf(&b, " %*d | %s\n", width, n, line)
		b.WriteString(pad + " | " + strings.Repeat(" ", col-1))
		if l.size == 1 {
			b.WriteString("^---")
		} else {
			b.WriteString(strings.Repeat("~", min(max(l.size, 0), len(line))))
		}
		b.WriteString(" " + l.comment)
	}
	b.WriteString(" --> fromTOML\n")
	b.WriteString(pad + " |\n")
	one(locs[0])
	for _, l := range locs[1:] {
		b.WriteString("\n ...\n")
		one(l)
	}
	if len(hints) > 0 {
		b.WriteString("\n" + pad + " |")
		for _, h := range hints {
			b.WriteString("\nHint: " + h)
		}
	}
	return b.String()
}

func (p *tomlParser) errf(title string, locs []tomlLoc, hints ...string) *tomlError {
	return &tomlError{msg: p.format(title, locs, hints...)}
}

// ---------------------------------------------------------------------
// Values.

// parseValue is toml11's parse_value: the value at i, the end of its
// text, or an error result (a thrown syntax error panics).
func (p *tomlParser) parseValue(i int) (*tomlValue, int, *tomlError) {
	if i >= len(p.src) {
		return nil, i, p.errf("toml::parse_value: input is empty", []tomlLoc{p.loc(i, "")})
	}
	typ, err := p.guessType(i)
	if err != nil {
		return nil, i, err
	}
	switch typ {
	case tomlBoolean:
		return p.parseBoolean(i)
	case tomlInteger:
		return p.parseInteger(i)
	case tomlFloating:
		return p.parseFloating(i)
	case tomlString:
		return p.parseString(i)
	case tomlOffsetDatetime, tomlLocalDatetime, tomlLocalDate, tomlLocalTime:
		return p.parseDatetime(i, typ)
	case tomlArray:
		return p.parseArray(i)
	}
	return p.parseInlineTable(i)
}

var (
	floatHints = []string{"pass: +1.0, -2e-2, 3.141_592_653_589, inf, nan", "fail: .0, 1., _1.0, 1.0_, 1_.0, 1.0__0"}
	intHints   = []string{"pass: -42, 1_000, 1_2_3_4_5, 0xC0FFEE, 0b0010, 0o755", "fail: 1__000, 0123"}
	timeHints  = []string{"pass: 1979-05-27T07:32:00, 1979-05-27 07:32:00.999999", "fail: 1979-05-27T7:32:00, 1979-05-27 17:32"}
	time2Hints = []string{"pass: 1979-05-27T07:32:00, 1979-05-27 07:32:00.999999", "fail: 1979-05-27T7:32:00, 1979-05-27 7:32"}
)

// guessType is guess_value_type and guess_number_type.
func (p *tomlParser) guessType(i int) (tomlType, *tomlError) {
	switch p.src[i] {
	case '"', '\'':
		return tomlString, nil
	case 't', 'f':
		return tomlBoolean, nil
	case '[':
		return tomlArray, nil
	case '{':
		return tomlTable, nil
	case 'i', 'n':
		return tomlFloating, nil
	}
	if p.lexOffsetDateTime(i) >= 0 {
		return tomlOffsetDatetime, nil
	}
	if j := p.lexLocalDateTime(i); j >= 0 {
		if c := p.at(j); j < len(p.src) && (c == '+' || c == '-' || c == 'Z' || c == 'z') {
			return 0, p.errf("bad offset: should be [+-]HH:MM or Z", []tomlLoc{p.loc(j, "[+-]HH:MM or Z")},
				"pass: +09:00, -05:30", "fail: +9:00, -5:30")
		}
		return tomlLocalDatetime, nil
	}
	if j := p.lexFullDate(i); j >= 0 {
		if j < len(p.src) {
			c := p.src[j]
			if c == 'T' || c == 't' {
				return 0, p.errf("bad time: should be HH:MM:SS.subsec", []tomlLoc{p.loc(j, "HH:MM:SS.subsec")}, timeHints...)
			}
			if isTOMLDigit(c) {
				return 0, p.errf("bad time: missing T", []tomlLoc{p.loc(j, "T or space required here")}, time2Hints...)
			}
			if c == ' ' && j+1 < len(p.src) && isTOMLDigit(p.src[j+1]) {
				return 0, p.errf("bad time: should be HH:MM:SS.subsec", []tomlLoc{p.loc(j+1, "HH:MM:SS.subsec")}, time2Hints...)
			}
		}
		return tomlLocalDate, nil
	}
	if p.lexPartialTime(i) >= 0 {
		return tomlLocalTime, nil
	}
	if j := p.lexFloat(i); j >= 0 {
		if p.at(j) == '_' && j < len(p.src) {
			return 0, p.errf("bad float: `_` should be surrounded by digits", []tomlLoc{p.loc(j, "here")}, floatHints...)
		}
		return tomlFloating, nil
	}
	if j := p.lexInteger(i); j >= 0 {
		if j < len(p.src) {
			switch c := p.src[j]; {
			case c == '_':
				return 0, p.errf("bad integer: `_` should be surrounded by digits", []tomlLoc{p.loc(j, "here")}, intHints...)
			case isTOMLDigit(c):
				return 0, p.errf("bad integer: leading zero", []tomlLoc{p.loc(j-1, "here")}, intHints...)
			case c == ':' || c == '-':
				return 0, p.errf("bad datetime: invalid format", []tomlLoc{p.loc(j, "here")},
					"pass: 1979-05-27T07:32:00-07:00, 1979-05-27 07:32:00.999999Z", "fail: 1979-05-27T7:32:00-7:00, 1979-05-27 7:32-00:30")
			case c == '.' || c == 'e' || c == 'E':
				return 0, p.errf("bad float: invalid format", []tomlLoc{p.loc(j, "here")}, floatHints...)
			}
		}
		return tomlInteger, nil
	}
	switch p.src[i] {
	case '.':
		return 0, p.errf("bad float: invalid format", []tomlLoc{p.loc(i, "integer part required before this")}, floatHints...)
	case '_':
		return 0, p.errf("bad number: `_` should be surrounded by digits", []tomlLoc{p.loc(i, "`_` is not surrounded by digits")}, intHints...)
	}
	return 0, p.errf("bad format: unknown value appeared", []tomlLoc{p.loc(i, "here")})
}

func (p *tomlParser) value(typ tomlType, first, last int) *tomlValue {
	return &tomlValue{typ: typ, reg: tomlRegion{kind: regValue, first: first, last: last}}
}

func (p *tomlParser) parseBoolean(i int) (*tomlValue, int, *tomlError) {
	for _, lit := range []string{"true", "false"} {
		if strings.HasPrefix(p.src[i:], lit) {
			v := p.value(tomlBoolean, i, i+len(lit))
			v.b = lit == "true"
			return v, i + len(lit), nil
		}
	}
	return nil, i, p.errf("toml::parse_boolean: ", []tomlLoc{p.loc(i, "the next token is not a boolean")})
}

// tooLarge is current Nix's (toml11 4's) error for an integer beyond 64
// bits, in toml11 4's format, pointing after the number at pos.
func (p *tomlParser) tooLarge(kind string, pos int) *tomlError {
	what := "max value"
	if kind == "dec" {
		what = "max digits"
	}
	n, col, line := p.lineOf(pos)
	pad := strings.Repeat(" ", len(strconv.Itoa(n))+1)
	return &tomlError{msg: fmt.Sprintf("[error] toml::parse_%s_integer: too large integer: current %s = 2^63\n --> fromTOML\n%s |\n %d | %s\n%s | %s^-- must be < 2^63\n",
		kind, what, pad, n, line, pad, strings.Repeat(" ", col-1))}
}

func (p *tomlParser) parseInteger(i int) (*tomlValue, int, *tomlError) {
	if p.src[i] == '0' {
		second := p.at(i + 1)
		if i+1 >= len(p.src) {
			return p.value(tomlInteger, i, i+1), i + 1, nil
		}
		prefixed := func(title, prefix string, digit func(byte) bool, base int, kind string) (*tomlValue, int, *tomlError) {
			j := p.lexPrefixedInt(i, prefix, digit)
			if j < 0 {
				return nil, i, p.errf(title, []tomlLoc{p.loc(i, "the next token is not an integer")})
			}
			n, err := strconv.ParseInt(strings.ReplaceAll(p.src[i+2:j], "_", ""), base, 64)
			if err != nil {
				return nil, i, p.tooLarge(kind, j)
			}
			v := p.value(tomlInteger, i, j)
			v.i = n
			return v, j, nil
		}
		switch {
		case second == 'b':
			return prefixed("toml::parse_binary_integer:", "0b", isBinary, 2, "bin")
		case second == 'o':
			return prefixed("toml::parse_octal_integer:", "0o", isOctal, 8, "oct")
		case second == 'x':
			return prefixed("toml::parse_hexadecimal_integer", "0x", isTOMLHex, 16, "hex")
		case isTOMLDigit(second):
			return nil, i, p.errf("toml::parse_integer: leading zero in an Integer is not allowed.", []tomlLoc{p.loc(i, "leading zero")})
		case (second >= 'a' && second <= 'z') || (second >= 'A' && second <= 'Z'):
			return nil, i, p.errf("toml::parse_integer: unknown integer prefix appeared.", []tomlLoc{p.loc(i, "none of 0x, 0o, 0b")})
		}
	}
	j := p.lexDecInt(i)
	if j < 0 {
		return nil, i, p.errf("toml::parse_integer: ", []tomlLoc{p.loc(i, "the next token is not an integer")})
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(p.src[i:j], "_", ""), 10, 64)
	if err != nil {
		return nil, i, p.tooLarge("dec", j)
	}
	v := p.value(tomlInteger, i, j)
	v.i = n
	return v, j, nil
}

func (p *tomlParser) parseFloating(i int) (*tomlValue, int, *tomlError) {
	j := p.lexFloat(i)
	if j < 0 {
		return nil, i, p.errf("toml::parse_floating: ", []tomlLoc{p.loc(i, "the next token is not a float")})
	}
	v := p.value(tomlFloating, i, j)
	switch s := p.src[i:j]; s {
	case "inf", "+inf":
		v.f = math.Inf(1)
	case "-inf":
		v.f = math.Inf(-1)
	case "nan", "+nan":
		v.f = math.NaN()
	case "-nan":
		v.f = math.Copysign(math.NaN(), -1)
	default:
		// istream >> double: out of range clamps to the largest float.
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil && math.IsInf(f, 0) {
			f = math.Copysign(math.MaxFloat64, f)
		}
		v.f = f
	}
	return v, j, nil
}

// ---------------------------------------------------------------------
// Strings.

func (p *tomlParser) parseString(i int) (*tomlValue, int, *tomlError) {
	var s string
	var j int
	var err *tomlError
	switch {
	case strings.HasPrefix(p.src[i:], `"""`):
		s, j, err = p.parseMLBasicString(i)
	case p.src[i] == '"':
		s, j, err = p.parseBasicString(i)
	case strings.HasPrefix(p.src[i:], `'''`):
		s, j, err = p.parseMLLiteralString(i)
	default:
		s, j, err = p.parseLiteralString(i)
	}
	if err != nil {
		return nil, i, err
	}
	v := p.value(tomlString, i, j)
	v.str = s
	return v, j, nil
}

// codepoint decodes the \u or \U escape at i (validated by the lexer).
func (p *tomlParser) codepoint(b *strings.Builder, i, n int) {
	cp, _ := strconv.ParseUint(p.src[i+2:i+2+n], 16, 32)
	switch {
	case cp >= 0xD800 && cp <= 0xDFFF:
		p.throw(p.format("toml::read_utf8_codepoint: codepoints in the range [0xD800, 0xDFFF] are not valid UTF-8.",
			[]tomlLoc{p.loc(i+2+n, "not a valid UTF-8 codepoint")}))
	case cp >= 0x110000:
		p.throw(p.format("toml::read_utf8_codepoint: input codepoint is too large.",
			[]tomlLoc{p.loc(i+2+n, "should be in [0x00..0x10FFFF]")}))
	}
	var buf [4]byte
	b.Write(appendUTF8(buf[:0], int(cp)))
}

// escape decodes the escape sequence at i (lexed already) into b and
// returns its end.
func (p *tomlParser) escape(b *strings.Builder, i int) int {
	switch c := p.src[i+1]; c {
	case '\\', '"':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case 'u':
		p.codepoint(b, i, 4)
		return i + 6
	case 'U':
		p.codepoint(b, i, 8)
		return i + 10
	}
	return i + 2
}

// checkUTF8 is check_utf8_validity over a string token.
func (p *tomlParser) checkUTF8(first, last int) {
	for j := first; j < last; {
		if p.src[j] < 0x80 {
			j++
			continue
		}
		n := p.utf8Len(j)
		if n == 0 || j+n > last {
			p.throw(p.format("parse_ml_basic_string: invalid utf8 sequence found", []tomlLoc{p.loc(j, "here")}))
		}
		j += n
	}
}

func (p *tomlParser) parseBasicString(i int) (string, int, *tomlError) {
	j := p.lexBasicString(i)
	if j < 0 {
		return "", i, p.errf("toml::parse_basic_string: the next token is not a valid string", []tomlLoc{p.loc(i, "here")})
	}
	var b strings.Builder
	for k := i + 1; k < j-1; {
		if p.src[k] == '\\' {
			k = p.escape(&b, k)
		} else {
			b.WriteByte(p.src[k])
			k++
		}
	}
	p.checkUTF8(i, j)
	return b.String(), j, nil
}

func (p *tomlParser) parseLiteralString(i int) (string, int, *tomlError) {
	j := p.lexLiteralString(i)
	if j < 0 {
		return "", i, p.errf("toml::parse_literal_string: the next token is not a valid literal string", []tomlLoc{p.loc(i, "here")})
	}
	p.checkUTF8(i, j)
	return p.src[i+1 : j-1], j, nil
}

// closeQuotes is lex_ml_*_string_close: three to five quotes at i; it
// returns their count, or 0.
func (p *tomlParser) closeQuotes(i int, q byte) int {
	if !strings.HasPrefix(p.src[i:], string([]byte{q, q, q})) {
		return 0
	}
	n := 3
	for n < 5 && p.at(i+n) == q && i+n < len(p.src) {
		n++
	}
	return n
}

// lexMLEscapedNewline is a backslash, whitespace, a newline, then
// whitespace and newlines.
func (p *tomlParser) lexMLEscapedNewline(i int) int {
	if p.at(i) != '\\' || i >= len(p.src) {
		return -1
	}
	j := p.lexNewline(p.skipWs(i + 1))
	if j < 0 {
		return -1
	}
	for {
		if k := p.lexWs(j); k >= 0 {
			j = k
		} else if k := p.lexNewline(j); k >= 0 {
			j = k
		} else {
			return j
		}
	}
}

// lexMLBasicString is lex_ml_basic_string: the end of the string at i,
// or -1.
func (p *tomlParser) lexMLBasicString(i int) int {
	if !strings.HasPrefix(p.src[i:], `"""`) {
		return -1
	}
	j := i + 3
	for {
		if strings.HasPrefix(p.src[j:], `"""`) {
			return j + p.closeQuotes(j, '"')
		}
		switch c := p.at(j); {
		case j >= len(p.src):
			return -1
		case c == '\\':
			if k := p.lexEscaped(j); k >= 0 {
				j = k
			} else if k := p.lexMLEscapedNewline(j); k >= 0 {
				j = k
			} else {
				return -1
			}
		case p.lexNewline(j) >= 0:
			j = p.lexNewline(j)
		case tomlControl(c):
			return -1
		default:
			j++
		}
	}
}

func (p *tomlParser) parseMLBasicString(i int) (string, int, *tomlError) {
	end := p.lexMLBasicString(i)
	if end < 0 {
		return "", i, p.errf("toml::parse_ml_basic_string: the next token is not a valid multiline string", []tomlLoc{p.loc(i, "here")})
	}
	var b strings.Builder
	j := i + 3
	if k := p.lexNewline(j); k >= 0 {
		j = k
	}
	for {
		if strings.HasPrefix(p.src[j:], `"""`) {
			b.WriteString(strings.Repeat(`"`, end-j-3))
			break
		}
		if p.src[j] == '\\' {
			if p.lexEscaped(j) >= 0 {
				j = p.escape(&b, j)
			} else {
				j = p.lexMLEscapedNewline(j)
			}
			continue
		}
		b.WriteByte(p.src[j])
		j++
	}
	p.checkUTF8(i, end)
	return b.String(), end, nil
}

func (p *tomlParser) parseMLLiteralString(i int) (string, int, *tomlError) {
	j := i + 3
	if k := p.lexNewline(j); k >= 0 {
		j = k
	}
	start := j
	for {
		if strings.HasPrefix(p.src[j:], `'''`) {
			n := p.closeQuotes(j, '\'')
			s := p.src[start:j] + strings.Repeat(`'`, n-3)
			end := j + n
			p.checkUTF8(i, end)
			return s, end, nil
		}
		c := p.at(j)
		switch {
		case j >= len(p.src):
			return "", i, p.errf("toml::parse_ml_literal_string: the next token is not a valid multiline literal string", []tomlLoc{p.loc(i, "here")})
		case p.lexNewline(j) >= 0:
			j = p.lexNewline(j)
		case tomlControl(c):
			return "", i, p.errf("toml::parse_ml_literal_string: the next token is not a valid multiline literal string", []tomlLoc{p.loc(i, "here")})
		default:
			j++
		}
	}
}

// ---------------------------------------------------------------------
// Dates and times.

func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func (p *tomlParser) parseDatetime(i int, typ tomlType) (*tomlValue, int, *tomlError) {
	var dt tomlDatetime
	j := i
	if typ != tomlLocalTime {
		end := p.lexFullDate(j)
		dt.hasDate = true
		dt.year, dt.month, dt.day = atoiDigits(p.src[j:j+4]), atoiDigits(p.src[j+5:j+7]), atoiDigits(p.src[j+8:j+10])
		leap := dt.year%4 == 0 && (dt.year%100 != 0 || dt.year%400 == 0)
		maxDay := 31
		switch dt.month {
		case 2:
			maxDay = 28
			if leap {
				maxDay = 29
			}
		case 4, 6, 9, 11:
			maxDay = 30
		}
		if dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > maxDay {
			p.throw(p.format("toml::parse_date: invalid date: it does not conform RFC3339.",
				[]tomlLoc{p.loc(end, "month should be 01-12, day should be 01-28,29,30,31, depending on month/year.")}))
		}
		j = end
		if typ == tomlLocalDate {
			v := p.value(typ, i, j)
			v.dt = dt
			return v, j, nil
		}
		j++ // the delimiter
	}
	end := p.lexPartialTime(j)
	dt.hasTime = true
	dt.hour, dt.minute, dt.second = atoiDigits(p.src[j:j+2]), atoiDigits(p.src[j+3:j+5]), atoiDigits(p.src[j+6:j+8])
	if dt.hour > 23 || dt.minute > 59 || dt.second > 60 {
		p.throw(p.format("toml::parse_time: invalid time: it does not conform RFC3339.",
			[]tomlLoc{p.loc(end, "hour should be 00-23, minute should be 00-59, second should be 00-60 (depending on the leap second rules.)")}))
	}
	if end > j+8 {
		sf := p.src[j+9 : end]
		switch len(sf) % 3 {
		case 2:
			sf += "0"
		case 1:
			sf += "00"
		}
		if len(sf) >= 3 {
			dt.milli = atoiDigits(sf[0:3])
		}
		if len(sf) >= 6 {
			dt.micro = atoiDigits(sf[3:6])
		}
		if len(sf) >= 9 {
			dt.nano = atoiDigits(sf[6:9])
		}
	}
	j = end
	if typ == tomlOffsetDatetime {
		if k := p.lexNumOffset(j); k >= 0 {
			h, m := atoiDigits(p.src[j+1:j+3]), atoiDigits(p.src[j+4:j+6])
			if h > 23 || m > 59 {
				p.throw(p.format("toml::parse_offset_datetime: invalid offset: it does not conform RFC3339.",
					[]tomlLoc{p.loc(k, "month should be 01-12, day should be 01-28,29,30,31, depending on month/year.")}))
			}
			if p.src[j] == '-' {
				h, m = -h, -m
			}
			dt.offsetHour, dt.offsetMinute = h, m
			j = k
		} else {
			j++ // Z
		}
		dt.hasZone = true
	}
	v := p.value(typ, i, j)
	v.dt = dt
	return v, j, nil
}

// ---------------------------------------------------------------------
// Keys, arrays, tables.

// parseSimpleKey reads a basic string, literal string or bare key.
func (p *tomlParser) parseSimpleKey(i int) (string, int, bool) {
	if p.lexBasicString(i) >= 0 {
		s, j, _ := p.parseBasicString(i)
		return s, j, true
	}
	if p.lexLiteralString(i) >= 0 {
		s, j, _ := p.parseLiteralString(i)
		return s, j, true
	}
	if j := p.lexUnquotedKey(i); j >= 0 {
		return p.src[i:j], j, true
	}
	return "", i, false
}

// parseKey reads a dotted or simple key: the keys and the key's region.
func (p *tomlParser) parseKey(i int) ([]string, tomlRegion, *tomlError) {
	if end := p.lexDottedKey(i); end >= 0 {
		var keys []string
		j := i
		for j < end {
			j = p.skipWs(j)
			k, next, _ := p.parseSimpleKey(j)
			keys = append(keys, k)
			j = p.skipWs(next)
			if j >= end {
				break
			}
			j++ // the dot
		}
		return keys, tomlRegion{kind: regKey, keys: keys, first: i, last: end}, nil
	}
	if k, j, ok := p.parseSimpleKey(i); ok {
		return []string{k}, tomlRegion{kind: regKey, keys: []string{k}, first: i, last: j}, nil
	}
	return nil, tomlRegion{}, p.errf("toml::parse_key: an invalid key appeared.", []tomlLoc{p.loc(i, "is not a valid key")},
		"bare keys  : non-empty strings composed only of [A-Za-z0-9_-].",
		"quoted keys: same as \"basic strings\" or 'literal strings'.",
		"dotted keys: sequence of bare or quoted keys joined with a dot.")
}

func (p *tomlParser) enter(i int) {
	p.depth++
	if p.depth > tomlMaxDepth {
		p.throw(p.format("toml::parse_value: arrays and inline tables nested too deeply", []tomlLoc{p.loc(i, "here")}))
	}
}

func (p *tomlParser) parseArray(i int) (*tomlValue, int, *tomlError) {
	p.enter(i)
	defer func() { p.depth-- }()
	arr := p.value(tomlArray, i, i)
	j := i + 1
	for j < len(p.src) {
		j = p.skipWsCommentNewline(j)
		if p.at(j) == ']' && j < len(p.src) {
			arr.reg.last = j + 1
			return arr, j + 1, nil
		}
		v, k, err := p.parseValue(j)
		if err != nil {
			p.throw(p.format("toml::parse_array: value having invalid format appeared in an array",
				[]tomlLoc{p.loc(i, "array starts here"), p.loc(j, "it is not a valid value.")}))
		}
		arr.array = append(arr.array, v)
		j = k
		if s := p.skipWsCommentNewline(j); p.at(s) == ',' && s < len(p.src) {
			j = s + 1
			continue
		}
		j = p.skipWsCommentNewline(j)
		if p.at(j) == ']' && j < len(p.src) {
			arr.reg.last = j + 1
			return arr, j + 1, nil
		}
		p.throw(p.format("toml::parse_array: missing array separator `,` after a value",
			[]tomlLoc{p.loc(i, "array starts here"), p.loc(j, "should be `,`")}))
	}
	p.throw(p.format("toml::parse_array: array did not closed by `]`", []tomlLoc{p.loc(i, "should be closed")}))
	return nil, i, nil
}

// parseKeyValue reads key = value.
func (p *tomlParser) parseKeyValue(i int) ([]string, tomlRegion, *tomlValue, int, *tomlError) {
	keys, reg, err := p.parseKey(i)
	if err != nil {
		if p.lexKeyvalSep(i) >= 0 {
			err = p.errf("toml::parse_key_value_pair: empty key is not allowed.", []tomlLoc{p.loc(i, "key expected before '='")})
		}
		return nil, reg, nil, i, err
	}
	j := p.lexKeyvalSep(reg.last)
	if j < 0 {
		lineEnd := strings.IndexByte(p.src[reg.last:], '\n')
		if lineEnd < 0 {
			lineEnd = len(p.src) - reg.last
		}
		if strings.IndexByte(p.src[reg.last:reg.last+lineEnd], '=') >= 0 {
			err = p.errf("toml::parse_key_value_pair: invalid format for key", []tomlLoc{p.loc(reg.last, "invalid character in key")},
				"Did you forget '.' to separate dotted-key?", "Allowed characters for bare key are [0-9a-zA-Z_-].")
		} else {
			err = p.errf("toml::parse_key_value_pair: missing key-value separator `=`", []tomlLoc{p.loc(reg.last, "should be `=`")})
		}
		return nil, reg, nil, i, err
	}
	v, k, err := p.parseValue(j)
	if err != nil {
		if p.lexLineEnd(j) >= 0 {
			err = p.errf("toml::parse_key_value_pair: missing value after key-value separator '='",
				[]tomlLoc{p.loc(j, "expected value, but got nothing")})
		}
		return nil, reg, nil, i, err
	}
	return keys, reg, v, k, nil
}

func (p *tomlParser) parseInlineTable(i int) (*tomlValue, int, *tomlError) {
	p.enter(i)
	defer func() { p.depth-- }()
	tab := &tomlValue{typ: tomlTable, table: map[string]*tomlValue{}, reg: tomlRegion{kind: regInline, first: i}}
	j := p.skipWs(i + 1)
	if p.at(j) == '}' && j < len(p.src) {
		tab.reg.last = j + 1
		return tab, j + 1, nil
	}
	for j < len(p.src) {
		keys, reg, v, k, err := p.parseKeyValue(j)
		if err != nil {
			return nil, i, err
		}
		p.insert(tab, v, keys, reg, false)
		j = k
		if s := p.skipWs(j); p.at(s) == ',' && s < len(p.src) {
			j = p.skipWs(s + 1)
			if p.at(j) == '}' && j < len(p.src) {
				p.throw(p.format("toml::parse_inline_table: trailing comma is not allowed in an inline table",
					[]tomlLoc{p.loc(j, "should be `}`")}))
			}
			continue
		}
		j = p.skipWs(j)
		switch c := p.at(j); {
		case j >= len(p.src):
			p.throw(p.format("toml::parse_inline_table: missing table separator `}` ", []tomlLoc{p.loc(j, "should be `}`")}))
		case c == '}':
			tab.reg.last = j + 1
			return tab, j + 1, nil
		case c == '#' || c == '\r' || c == '\n':
			p.throw(p.format("toml::parse_inline_table: missing curly brace `}`", []tomlLoc{p.loc(j, "should be `}`")}))
		default:
			p.throw(p.format("toml::parse_inline_table: missing table separator `,` ", []tomlLoc{p.loc(j, "should be `,`")}))
		}
	}
	p.throw(p.format("toml::parse_inline_table: inline table did not closed by `}`", []tomlLoc{p.loc(i, "should be closed")}))
	return nil, i, nil
}

// parseTableKey reads a [table.key] header and the end of its line. It
// returns ok=false (without error) if there is no header at i.
func (p *tomlParser) parseTableKey(i int, array bool) ([]string, tomlRegion, int, bool) {
	var end, open int
	kind := regStdHeader
	if array {
		end, open, kind = p.lexArrayTable(i), 2, regArrayHeader
	} else {
		end, open = p.lexStdTable(i), 1
	}
	if end < 0 {
		return nil, tomlRegion{}, i, false
	}
	keys, _, _ := p.parseKey(p.skipWs(i + open))
	j := end
	if j < len(p.src) {
		k := p.lexLineEnd(j)
		if k < 0 {
			what := "toml::parse_table_key: newline required after [table.key]"
			if array {
				what = "toml::parse_array_table_key: newline required after [[table.key]]"
			}
			p.throw(p.format(what, []tomlLoc{p.loc(j, "expected newline")}))
		}
		j = k
	}
	return keys, tomlRegion{kind: kind, keys: keys, first: i, last: end}, j, true
}

// parseMLTable reads key-value lines up to the next header.
func (p *tomlParser) parseMLTable(i int) (*tomlValue, int, *tomlError) {
	tab := &tomlValue{typ: tomlTable, table: map[string]*tomlValue{}}
	if i >= len(p.src) {
		return tab, i, nil
	}
	if j := p.skipLines(i); j >= 0 {
		i = j
	}
	i = p.skipWs(i)
	for i < len(p.src) {
		i = p.skipWs(i)
		if _, _, _, ok := p.parseTableKey(i, true); ok {
			return tab, i, nil
		}
		if _, _, _, ok := p.parseTableKey(i, false); ok {
			return tab, i, nil
		}
		keys, reg, v, k, err := p.parseKeyValue(i)
		if err != nil {
			return nil, i, err
		}
		p.insert(tab, v, keys, reg, false)
		i = p.skipComment(p.skipWs(k))
		if j := p.skipLines(i); j >= 0 {
			i = j
		} else if i < len(p.src) {
			before := i
			i = p.skipWs(i)
			return nil, before, p.errf("toml::parse_table: invalid line format",
				[]tomlLoc{p.loc(i, "expected newline, but got '"+showChar(p.at(i))+"'.")})
		}
		i = p.skipComment(p.skipWs(i))
	}
	return tab, i, nil
}

// showChar is toml11's show_char.
func showChar(c byte) string {
	if c >= 0x20 && c <= 0x7E {
		return string(c)
	}
	return fmt.Sprintf("0x%02x", c)
}

func (p *tomlParser) parseFile(i int) (*tomlValue, int, *tomlError) {
	root, i, err := p.parseMLTable(i)
	if err != nil {
		return nil, i, err
	}
	for i < len(p.src) {
		if keys, reg, j, ok := p.parseTableKey(i, true); ok {
			tab, k, err := p.parseMLTable(j)
			if err != nil {
				return nil, k, err
			}
			tab.reg = reg
			p.insert(root, tab, keys, reg, true)
			i = k
			continue
		}
		if keys, reg, j, ok := p.parseTableKey(i, false); ok {
			tab, k, err := p.parseMLTable(j)
			if err != nil {
				return nil, k, err
			}
			tab.reg = reg
			p.insert(root, tab, keys, reg, false)
			i = k
			continue
		}
		return nil, i, p.errf("toml::parse_toml_file: unknown line appeared", []tomlLoc{p.loc(i, "unknown format")})
	}
	return root, i, nil
}

// ---------------------------------------------------------------------
// insert_nested_key: adding a value under a (dotted) key, with toml11's
// rules for tables defined in several places.

func (p *tomlParser) valueLoc(v *tomlValue, comment string) tomlLoc {
	return p.regLoc(v.reg.first, v.reg.last, comment)
}

func equalKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// validForwardDefinition is is_valid_forward_table_definition: whether
// the table inserting may be merged into fwd, defined before, at the key
// keys[:cur+1] (of the whole key keys).
func validForwardDefinition(fwd, inserting *tomlValue, keys []string, cur int) bool {
	if inserting.reg.kind == regInline {
		return false
	}
	switch fwd.reg.kind {
	case regStdHeader:
		return !equalKeys(fwd.reg.keys, keys)
	case regKey:
		return !equalKeys(fwd.reg.keys, keys[cur:])
	}
	return false
}

func (p *tomlParser) insert(root, v *tomlValue, keys []string, keyReg tomlRegion, arrayOfTables bool) {
	dotted := strings.Join(keys, ".")
	tab := root
	for n, k := range keys {
		cur := tab.table[k]
		if n == len(keys)-1 {
			if arrayOfTables {
				if cur == nil {
					tab.table[k] = &tomlValue{typ: tomlArray, array: []*tomlValue{v}, reg: keyReg}
					return
				}
				if cur.typ == tomlTable {
					p.throw(p.format(`toml::insert_value: array of table ("`+dotted+`") cannot be defined`,
						[]tomlLoc{p.valueLoc(cur, "table already defined"), p.valueLoc(v, "this conflicts with the previous table")}))
				}
				if cur.typ != tomlArray || len(cur.array) == 0 || cur.array[0].typ != tomlTable {
					p.throw(p.format(`toml::insert_value: array of table ("`+dotted+`") collides with existing value`,
						[]tomlLoc{p.valueLoc(cur, "this "+tomlTypeNames[cur.typ]+" value already exists"), p.valueLoc(v, "while inserting this array-of-tables")}))
				}
				if cur.array[0].reg.kind != regArrayHeader {
					p.throw(p.format(`toml::insert_value: array of table ("`+dotted+`") collides with existing array-of-tables`,
						[]tomlLoc{p.valueLoc(cur, "this "+tomlTypeNames[cur.typ]+" value has static size"), p.valueLoc(v, "appending it to the statically sized array")}))
				}
				cur.array = append(cur.array, v)
				return
			}
			if cur == nil {
				tab.table[k] = v
				return
			}
			if cur.typ == tomlTable && v.typ == tomlTable {
				if !validForwardDefinition(cur, v, keys, n) {
					p.throw(p.format(`toml::insert_value: table ("`+dotted+`") already exists.`,
						[]tomlLoc{p.valueLoc(cur, "table already exists here"), p.valueLoc(v, "table defined twice")}))
				}
				// toml11 goes through an unordered_map; go in name order,
				// so that the duplicate reported is always the same.
				for _, name := range slices.Sorted(maps.Keys(v.table)) {
					x := v.table[name]
					if old, dup := cur.table[name]; dup {
						p.throw(p.format(`toml::insert_value: value ("`+dotted+`") already exists.`,
							[]tomlLoc{p.valueLoc(old, "already exists here"), p.valueLoc(v, "this defined twice")}))
					}
					cur.table[name] = x
				}
				cur.reg = keyReg
				return
			}
			if v.typ == tomlTable && cur.typ == tomlArray && len(cur.array) > 0 && cur.array[0].typ == tomlTable {
				p.throw(p.format(`toml::insert_value: array of tables ("`+dotted+`") already exists.`,
					[]tomlLoc{p.valueLoc(cur, "array of tables defined here"), p.valueLoc(v, "table conflicts with the previous array of table")}))
			}
			p.throw(p.format(`toml::insert_value: value ("`+dotted+`") already exists.`,
				[]tomlLoc{p.valueLoc(cur, "value already exists here"), p.valueLoc(v, "value defined twice")}))
		}
		// Not the last key: descend, making the table if needed.
		if cur == nil {
			cur = &tomlValue{typ: tomlTable, table: map[string]*tomlValue{}, reg: keyReg}
			tab.table[k] = cur
		}
		prefix := strings.Join(keys[:n+1], ".")
		switch {
		case cur.typ == tomlTable:
			if cur.reg.kind == regInline {
				p.throw(p.format("toml::insert_value: inserting to an inline table ("+prefix+") but inline tables are immutable",
					[]tomlLoc{p.valueLoc(cur, "inline tables are immutable"), p.valueLoc(v, "inserting this")}))
			}
			tab = cur
		case cur.typ == tomlArray:
			if len(cur.array) == 0 {
				// toml11 takes back() of the empty array here (undefined
				// behaviour); it is not a table.
				p.throw(p.format("toml::insert_value: target ("+prefix+") is neither table nor an array of tables",
					[]tomlLoc{p.valueLoc(cur, "actual type is array"), p.valueLoc(v, "inserting this")}))
			}
			last := cur.array[len(cur.array)-1]
			if last.typ != tomlTable {
				p.throw(p.format("toml::insert_value: target ("+prefix+") is neither table nor an array of tables",
					[]tomlLoc{p.valueLoc(last, "actual type is "+tomlTypeNames[last.typ]), p.valueLoc(v, "inserting this")}))
			}
			tab = last
		default:
			p.throw(p.format("toml::insert_value: target ("+prefix+") is neither table nor an array of tables",
				[]tomlLoc{p.valueLoc(cur, "actual type is "+tomlTypeNames[cur.typ]), p.valueLoc(v, "inserting this")}))
		}
	}
}
