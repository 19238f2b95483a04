package eval

import (
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
)

// builtins.fromJSON: a port of the parser Nix uses, nlohmann::json 3.11's
// SAX parser, so that the same documents are accepted, numbers become the
// same integers or floats, and errors carry nlohmann's messages, positions
// and "last read" excerpts. As current Nix, an unsigned number above the
// largest integer is an error (Nix 2.8 wrapped it around) and so is a
// string holding a NUL byte.

func init() {
	register(&Builtin{Name: "fromJSON", Arity: 1, Fn: builtinFromJSON})
}

func builtinFromJSON(c Call) Value {
	s := c.StringNoCtx(0)
	v, err := parseJSON(c.Ev, s)
	if err != nil {
		if err.syntax {
			c.Ev.pushFrame(frame{kind: frameMsg, p: "while decoding a JSON string"})
		}
		c.Errorf(EvalError, "%s", err.msg)
	}
	return v
}

// jsonError is a failure to parse: syntax errors are nlohmann's
// exceptions (Nix's JSONParseError), the others Nix's own.
type jsonError struct {
	msg    string
	syntax bool
}

// JSON tokens, as nlohmann's lexer names them.
type jsonToken uint8

const (
	tokUninitialized jsonToken = iota
	tokTrue
	tokFalse
	tokNull
	tokString
	tokUnsigned
	tokInteger
	tokFloat
	tokBeginArray
	tokBeginObject
	tokEndArray
	tokEndObject
	tokNameSeparator
	tokValueSeparator
	tokParseError
	tokEndOfInput
	tokLiteralOrValue
)

var jsonTokenNames = [...]string{
	tokUninitialized:  "<uninitialized>",
	tokTrue:           "true literal",
	tokFalse:          "false literal",
	tokNull:           "null literal",
	tokString:         "string literal",
	tokUnsigned:       "number literal",
	tokInteger:        "number literal",
	tokFloat:          "number literal",
	tokBeginArray:     "'['",
	tokBeginObject:    "'{'",
	tokEndArray:       "']'",
	tokEndObject:      "'}'",
	tokNameSeparator:  "':'",
	tokValueSeparator: "','",
	tokParseError:     "<parse error>",
	tokEndOfInput:     "end of input",
	tokLiteralOrValue: "'[', '{', or a literal",
}

const eof = -1

// jsonLexer is nlohmann's lexer. The text read since the last token start
// ("last read" in errors) is in[tokStart:pos]; the position counters
// follow nlohmann's, counting reads of the end of input too.
type jsonLexer struct {
	in         string
	pos        int // index of the next byte to read
	current    int // the current character, or eof
	nextUnget  bool
	totalRead  int // chars_read_total
	lineChars  int // chars_read_current_line
	lines      int // lines_read
	tokStart   int // start of token_string in in
	buf        []byte
	errMsg     string
	valInt     int64
	valUnsign  uint64
	valFloat   float64
	stringFast string // the string token when it needed no buffer
}

func (l *jsonLexer) get() int {
	l.totalRead++
	l.lineChars++
	if l.nextUnget {
		l.nextUnget = false
		if l.current != eof {
			l.pos++
		}
	} else if l.pos < len(l.in) {
		l.current = int(l.in[l.pos])
		l.pos++
	} else {
		l.current = eof
	}
	if l.current == '\n' {
		l.lines++
		l.lineChars = 0
	}
	return l.current
}

func (l *jsonLexer) unget() {
	l.nextUnget = true
	l.totalRead--
	if l.lineChars == 0 {
		if l.lines > 0 {
			l.lines--
		}
	} else {
		l.lineChars--
	}
	if l.current != eof {
		l.pos--
	}
}

// reset starts a token at the current character.
func (l *jsonLexer) reset() {
	l.buf = l.buf[:0]
	l.stringFast = ""
	l.tokStart = l.pos
	if l.current != eof {
		l.tokStart--
	}
}

// tokenString is get_token_string: the text read, control characters
// shown as <U+XXXX>.
func (l *jsonLexer) tokenString() string {
	s := l.in[l.tokStart:l.pos]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x1f {
			fmt.Fprintf(&b, "<U+%04X>", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (l *jsonLexer) scan() jsonToken {
	if l.totalRead == 0 {
		// skip_bom
		if l.get() == 0xEF {
			if !(l.get() == 0xBB && l.get() == 0xBF) {
				l.errMsg = "invalid BOM; must be 0xEF 0xBB 0xBF if given"
				return tokParseError
			}
		} else {
			l.unget()
		}
	}
	for {
		c := l.get()
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
	}
	switch c := l.current; c {
	case '[':
		return tokBeginArray
	case ']':
		return tokEndArray
	case '{':
		return tokBeginObject
	case '}':
		return tokEndObject
	case ':':
		return tokNameSeparator
	case ',':
		return tokValueSeparator
	case 't':
		return l.scanLiteral("true", tokTrue)
	case 'f':
		return l.scanLiteral("false", tokFalse)
	case 'n':
		return l.scanLiteral("null", tokNull)
	case '"':
		return l.scanString()
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return l.scanNumber()
	case 0, eof:
		return tokEndOfInput
	}
	l.errMsg = "invalid literal"
	return tokParseError
}

func (l *jsonLexer) scanLiteral(lit string, t jsonToken) jsonToken {
	for i := 1; i < len(lit); i++ {
		if l.get() != int(lit[i]) {
			l.errMsg = "invalid literal"
			return tokParseError
		}
	}
	return t
}

// controlNames are the names nlohmann gives control characters.
var controlNames = [32]string{
	"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
}

func (l *jsonLexer) scanString() jsonToken {
	l.reset()
	// Fast path: a string without escapes or control characters is a
	// slice of the input.
	start := l.pos
	i := start
	for i < len(l.in) {
		c := l.in[i]
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
		i++
	}
	if i < len(l.in) && l.in[i] == '"' {
		n := i + 1 - start
		l.pos = i + 1
		l.current = '"'
		l.totalRead += n
		l.lineChars += n
		l.stringFast = l.in[start:i]
		return tokString
	}
	// Read the plain run, then go on byte by byte.
	n := i - start
	l.buf = append(l.buf, l.in[start:i]...)
	l.pos = i
	l.totalRead += n
	l.lineChars += n
	if n > 0 {
		l.current = int(l.in[i-1])
	}
	for {
		c := l.get()
		switch {
		case c == eof:
			l.errMsg = "invalid string: missing closing quote"
			return tokParseError
		case c == '"':
			return tokString
		case c == '\\':
			switch l.get() {
			case '"':
				l.buf = append(l.buf, '"')
			case '\\':
				l.buf = append(l.buf, '\\')
			case '/':
				l.buf = append(l.buf, '/')
			case 'b':
				l.buf = append(l.buf, '\b')
			case 'f':
				l.buf = append(l.buf, '\f')
			case 'n':
				l.buf = append(l.buf, '\n')
			case 'r':
				l.buf = append(l.buf, '\r')
			case 't':
				l.buf = append(l.buf, '\t')
			case 'u':
				cp1 := l.codepoint()
				cp := cp1
				if cp1 < 0 {
					l.errMsg = `invalid string: '\u' must be followed by 4 hex digits`
					return tokParseError
				}
				if 0xD800 <= cp1 && cp1 <= 0xDBFF {
					if l.get() == '\\' && l.get() == 'u' {
						cp2 := l.codepoint()
						if cp2 < 0 {
							l.errMsg = `invalid string: '\u' must be followed by 4 hex digits`
							return tokParseError
						}
						if 0xDC00 <= cp2 && cp2 <= 0xDFFF {
							cp = cp1<<10 + cp2 - 0x35FDC00
						} else {
							l.errMsg = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"
							return tokParseError
						}
					} else {
						l.errMsg = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"
						return tokParseError
					}
				} else if 0xDC00 <= cp1 && cp1 <= 0xDFFF {
					l.errMsg = "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF"
					return tokParseError
				}
				l.buf = appendUTF8(l.buf, cp)
			default:
				l.errMsg = "invalid string: forbidden character after backslash"
				return tokParseError
			}
		case c < 0x20:
			hint := ""
			switch c {
			case 0x08:
				hint = ` or \b`
			case 0x09:
				hint = ` or \t`
			case 0x0A:
				hint = ` or \n`
			case 0x0C:
				hint = ` or \f`
			case 0x0D:
				hint = ` or \r`
			}
			l.errMsg = fmt.Sprintf(`invalid string: control character U+%04X (%s) must be escaped to \u%04X%s`, c, controlNames[c], c, hint)
			return tokParseError
		case c < 0x80:
			l.buf = append(l.buf, byte(c))
		default:
			var ok bool
			switch {
			case c >= 0xC2 && c <= 0xDF:
				ok = l.inRange(0x80, 0xBF)
			case c == 0xE0:
				ok = l.inRange(0xA0, 0xBF, 0x80, 0xBF)
			case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
				ok = l.inRange(0x80, 0xBF, 0x80, 0xBF)
			case c == 0xED:
				ok = l.inRange(0x80, 0x9F, 0x80, 0xBF)
			case c == 0xF0:
				ok = l.inRange(0x90, 0xBF, 0x80, 0xBF, 0x80, 0xBF)
			case c >= 0xF1 && c <= 0xF3:
				ok = l.inRange(0x80, 0xBF, 0x80, 0xBF, 0x80, 0xBF)
			case c == 0xF4:
				ok = l.inRange(0x80, 0x8F, 0x80, 0xBF, 0x80, 0xBF)
			}
			if !ok {
				l.errMsg = "invalid string: ill-formed UTF-8 byte"
				return tokParseError
			}
		}
	}
}

// inRange is next_byte_in_range: the current byte and the following ones,
// each within its range.
func (l *jsonLexer) inRange(ranges ...int) bool {
	l.buf = append(l.buf, byte(l.current))
	for i := 0; i < len(ranges); i += 2 {
		c := l.get()
		if ranges[i] <= c && c <= ranges[i+1] {
			l.buf = append(l.buf, byte(c))
		} else {
			return false
		}
	}
	return true
}

// codepoint reads the 4 hex digits after \u, or returns -1.
func (l *jsonLexer) codepoint() int {
	cp := 0
	for _, shift := range [4]uint{12, 8, 4, 0} {
		c := l.get()
		switch {
		case c >= '0' && c <= '9':
			cp += (c - '0') << shift
		case c >= 'A' && c <= 'F':
			cp += (c - 'A' + 10) << shift
		case c >= 'a' && c <= 'f':
			cp += (c - 'a' + 10) << shift
		default:
			return -1
		}
	}
	return cp
}

func appendUTF8(b []byte, cp int) []byte {
	switch {
	case cp < 0x80:
		return append(b, byte(cp))
	case cp <= 0x7FF:
		return append(b, byte(0xC0|cp>>6), byte(0x80|cp&0x3F))
	case cp <= 0xFFFF:
		return append(b, byte(0xE0|cp>>12), byte(0x80|(cp>>6)&0x3F), byte(0x80|cp&0x3F))
	}
	return append(b, byte(0xF0|cp>>18), byte(0x80|(cp>>12)&0x3F), byte(0x80|(cp>>6)&0x3F), byte(0x80|cp&0x3F))
}

func isDigit(c int) bool { return c >= '0' && c <= '9' }

// scanNumber is nlohmann's number automaton; the number's text is
// in[tokStart:pos] afterwards.
func (l *jsonLexer) scanNumber() jsonToken {
	l.reset()
	typ := tokUnsigned
	c := l.current
	if c == '-' {
		typ = tokInteger
		c = l.get()
		if !isDigit(c) {
			l.errMsg = "invalid number; expected digit after '-'"
			return tokParseError
		}
	}
	if c != '0' {
		for isDigit(l.get()) {
		}
	} else {
		l.get()
	}
	if l.current == '.' {
		typ = tokFloat
		if !isDigit(l.get()) {
			l.errMsg = "invalid number; expected digit after '.'"
			return tokParseError
		}
		for isDigit(l.get()) {
		}
	}
	if l.current == 'e' || l.current == 'E' {
		typ = tokFloat
		c := l.get()
		if c == '+' || c == '-' {
			if !isDigit(l.get()) {
				l.errMsg = "invalid number; expected digit after exponent sign"
				return tokParseError
			}
		} else if !isDigit(c) {
			l.errMsg = "invalid number; expected '+', '-', or digit after exponent"
			return tokParseError
		}
		for isDigit(l.get()) {
		}
	}
	l.unget()
	text := l.in[l.tokStart:l.pos]
	switch typ {
	case tokUnsigned:
		if n, err := strconv.ParseUint(text, 10, 64); err == nil {
			l.valUnsign = n
			return tokUnsigned
		}
	case tokInteger:
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			l.valInt = n
			return tokInteger
		}
	}
	// strtod: overflow gives infinity (an error below), underflow zero or
	// a subnormal number.
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(f, 0) {
		f = 0
	}
	l.valFloat = f
	return tokFloat
}

// jsonFrame is an array or object being parsed; its elements or members
// so far are on the parser's value or member stack from start on.
type jsonFrame struct {
	array bool
	start int
	key   Sym // the key whose value comes next
}

// parseJSON is sax_parse with Nix's SAX handler.
func parseJSON(ev *Evaluator, s string) (Value, *jsonError) {
	p := jsonParser{ev: ev, l: jsonLexer{in: s, current: eof}, seed: maphash.MakeSeed(), strs: new([strCacheSize]*String)}
	v, err := p.parse()
	if err != nil {
		return nil, err
	}
	if p.next() != tokEndOfInput {
		return nil, p.syntaxError(tokEndOfInput, "value")
	}
	return v, nil
}

type jsonParser struct {
	ev      *Evaluator
	l       jsonLexer
	last    jsonToken
	stack   []jsonFrame
	vals    []Value // elements of the arrays being parsed
	members []Attr  // members of the objects being parsed
	seed    maphash.Seed
	strs    *[strCacheSize]*String // recent short strings, by hash
}

func (p *jsonParser) next() jsonToken {
	p.last = p.l.scan()
	return p.last
}

// syntaxError is parse_error 101 with exception_message.
func (p *jsonParser) syntaxError(expected jsonToken, context string) *jsonError {
	var b strings.Builder
	fmt.Fprintf(&b, "[json.exception.parse_error.101] parse error at line %d, column %d: syntax error ", p.l.lines+1, p.l.lineChars)
	if context != "" {
		b.WriteString("while parsing " + context + " ")
	}
	b.WriteString("- ")
	if p.last == tokParseError {
		b.WriteString(p.l.errMsg + "; last read: '" + p.l.tokenString() + "'")
	} else {
		b.WriteString("unexpected " + jsonTokenNames[p.last])
	}
	if expected != tokUninitialized {
		b.WriteString("; expected " + jsonTokenNames[expected])
	}
	return &jsonError{msg: b.String(), syntax: true}
}

// str returns the current string token, which must hold no NUL byte.
func (p *jsonParser) str() (string, *jsonError) {
	s := p.l.stringFast
	if s == "" {
		s = string(p.l.buf)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", &jsonError{msg: fmt.Sprintf("input string '%s' cannot be represented as Nix string because it contains null bytes", strings.ReplaceAll(s, "\x00", "␀"))}
	}
	return s, nil
}

// strCacheSize is the number of short strings the parser remembers: JSON
// documents repeat values ("type": "github", versions, flags), and equal
// strings can share one immutable value.
const strCacheSize = 4096

// strValue returns the current string token as a value, shared with an
// equal short string met before.
func (p *jsonParser) strValue() (Value, *jsonError) {
	b := p.l.buf
	fast := p.l.stringFast
	if fast != "" {
		b = nil
	}
	n := len(b) + len(fast)
	if n == 0 || n > 64 {
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return Str(s), nil
	}
	var h uint64
	if fast != "" {
		h = maphash.String(p.seed, fast)
	} else {
		h = maphash.Bytes(p.seed, b)
	}
	slot := &p.strs[h%strCacheSize]
	if *slot != nil && ((fast != "" && (*slot).s == fast) || (fast == "" && (*slot).s == string(b))) {
		return *slot, nil
	}
	s, err := p.str()
	if err != nil {
		return nil, err
	}
	*slot = Str(s)
	return *slot, nil
}

// key reads an object key (the current token is a string) and the ':'.
func (p *jsonParser) key() *jsonError {
	k, err := p.str()
	if err != nil {
		return err
	}
	p.stack[len(p.stack)-1].key = p.ev.symbols.intern(k)
	if p.next() != tokNameSeparator {
		return p.syntaxError(tokNameSeparator, "object separator")
	}
	return nil
}

// parse is sax_parse_internal: an explicit stack, no recursion.
func (p *jsonParser) parse() (Value, *jsonError) {
	p.next()
	var v Value
	for {
		// A value starts at the current token.
		v = nil
		switch p.last {
		case tokBeginObject:
			p.stack = append(p.stack, jsonFrame{start: len(p.members)})
			if p.next() == tokEndObject {
				v = p.closeFrame()
				break
			}
			if p.last != tokString {
				return nil, p.syntaxError(tokString, "object key")
			}
			if err := p.key(); err != nil {
				return nil, err
			}
			p.next()
			continue
		case tokBeginArray:
			p.stack = append(p.stack, jsonFrame{array: true, start: len(p.vals)})
			if p.next() == tokEndArray {
				v = p.closeFrame()
				break
			}
			continue
		case tokFloat:
			if math.IsInf(p.l.valFloat, 0) {
				return nil, &jsonError{msg: "[json.exception.out_of_range.406] number overflow parsing '" + p.l.tokenString() + "'", syntax: true}
			}
			v = Float(p.l.valFloat)
		case tokFalse:
			v = vFalse
		case tokTrue:
			v = vTrue
		case tokNull:
			v = vNull
		case tokInteger:
			v = Int(p.l.valInt)
		case tokUnsigned:
			if p.l.valUnsign > math.MaxInt64 {
				return nil, &jsonError{msg: fmt.Sprintf("unsigned json number %d outside of Nix integer range", p.l.valUnsign)}
			}
			v = Int(p.l.valUnsign)
		case tokString:
			var err *jsonError
			if v, err = p.strValue(); err != nil {
				return nil, err
			}
		case tokParseError:
			return nil, p.syntaxError(tokUninitialized, "value")
		default:
			return nil, p.syntaxError(tokLiteralOrValue, "value")
		}
		// A value is complete: add it to its container, and close the
		// containers that end here.
		for {
			if len(p.stack) == 0 {
				return v, nil
			}
			f := &p.stack[len(p.stack)-1]
			if f.array {
				p.vals = append(p.vals, v)
				if p.next() == tokValueSeparator {
					p.next()
					break
				}
				if p.last == tokEndArray {
					v = p.closeFrame()
					continue
				}
				return nil, p.syntaxError(tokEndArray, "array")
			}
			p.members = append(p.members, Attr{Name: f.key, Value: v})
			if p.next() == tokValueSeparator {
				if p.next() != tokString {
					return nil, p.syntaxError(tokString, "object key")
				}
				if err := p.key(); err != nil {
					return nil, err
				}
				p.next()
				break
			}
			if p.last == tokEndObject {
				v = p.closeFrame()
				continue
			}
			return nil, p.syntaxError(tokEndObject, "object")
		}
	}
}

// closeFrame pops the innermost container and returns its value.
func (p *jsonParser) closeFrame() Value {
	f := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	if f.array {
		elems := p.vals[f.start:]
		if len(elems) == 0 {
			return emptyList
		}
		l := newList(len(elems))
		copy(l.elems, elems)
		clear(elems)
		p.vals = p.vals[:f.start]
		return l
	}
	members := p.members[f.start:]
	defer func() {
		clear(members)
		p.members = p.members[:f.start]
	}()
	if len(members) == 0 {
		return emptyAttrs
	}
	// Sort by name; of equal names the last wins (insert_or_assign).
	sortAttrs(p.ev.symbols, members)
	w := 0
	for r := range members {
		if w > 0 && members[w-1].Name == members[r].Name {
			members[w-1] = members[r]
			continue
		}
		members[w] = members[r]
		w++
	}
	a := newAttrs(w)
	copy(a.layer, members[:w])
	return a
}
