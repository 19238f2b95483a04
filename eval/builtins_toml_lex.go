package eval

import "strings"

// The lexers of the TOML parser (toml11's lexer.hpp combinators): each
// returns the end of what it matched at i, or -1.

func isTOMLDigit(c byte) bool { return c >= '0' && c <= '9' }
func isTOMLHex(c byte) bool {
	return isTOMLDigit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')
}

func (p *tomlParser) lexWs(i int) int {
	j := i
	for j < len(p.src) && (p.src[j] == ' ' || p.src[j] == '\t') {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// skipWs is maybe<lex_ws>.
func (p *tomlParser) skipWs(i int) int {
	if j := p.lexWs(i); j >= 0 {
		return j
	}
	return i
}

func (p *tomlParser) lexNewline(i int) int {
	switch {
	case p.at(i) == '\n':
		return i + 1
	case p.at(i) == '\r' && p.at(i+1) == '\n':
		return i + 2
	}
	return -1
}

// utf8Len returns the length of the valid multi-byte UTF-8 sequence at i
// (lex_utf8_2byte, _3byte, _4byte), or 0.
func (p *tomlParser) utf8Len(i int) int {
	c := p.at(i)
	in := func(j int, lo, hi byte) bool { c := p.at(j); return j < len(p.src) && c >= lo && c <= hi }
	switch {
	case c >= 0xC2 && c <= 0xDF:
		if in(i+1, 0x80, 0xBF) {
			return 2
		}
	case c == 0xE0:
		if in(i+1, 0xA0, 0xBF) && in(i+2, 0x80, 0xBF) {
			return 3
		}
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		if in(i+1, 0x80, 0xBF) && in(i+2, 0x80, 0xBF) {
			return 3
		}
	case c == 0xED:
		if in(i+1, 0x80, 0x9F) && in(i+2, 0x80, 0xBF) {
			return 3
		}
	case c == 0xF0:
		if in(i+1, 0x90, 0xBF) && in(i+2, 0x80, 0xBF) && in(i+3, 0x80, 0xBF) {
			return 4
		}
	case c >= 0xF1 && c <= 0xF3:
		if in(i+1, 0x80, 0xBF) && in(i+2, 0x80, 0xBF) && in(i+3, 0x80, 0xBF) {
			return 4
		}
	case c == 0xF4:
		if in(i+1, 0x80, 0x8F) && in(i+2, 0x80, 0xBF) && in(i+3, 0x80, 0xBF) {
			return 4
		}
	}
	return 0
}

// lexComment is lex_comment: '#', then tabs, printable ASCII and valid
// multi-byte UTF-8.
func (p *tomlParser) lexComment(i int) int {
	if p.at(i) != '#' || i >= len(p.src) {
		return -1
	}
	j := i + 1
	for j < len(p.src) {
		c := p.src[j]
		if c == '\t' || (c >= 0x20 && c <= 0x7E) {
			j++
		} else if n := p.utf8Len(j); n > 0 {
			j += n
		} else {
			break
		}
	}
	return j
}

// skipComment is maybe<lex_comment>.
func (p *tomlParser) skipComment(i int) int {
	if j := p.lexComment(i); j >= 0 {
		return j
	}
	return i
}

// lexLineEnd is sequence<maybe<lex_ws>, maybe<lex_comment>, lex_newline>.
func (p *tomlParser) lexLineEnd(i int) int {
	return p.lexNewline(p.skipComment(p.skipWs(i)))
}

// skipLines is repeat<lex line end, at_least<1>>: -1 if no line ends.
func (p *tomlParser) skipLines(i int) int {
	j := p.lexLineEnd(i)
	if j < 0 {
		return -1
	}
	for {
		k := p.lexLineEnd(j)
		if k < 0 {
			return j
		}
		j = k
	}
}

// skipWsCommentNewline is repeat<either<lex_wschar, lex_newline,
// lex_comment>, unlimited>.
func (p *tomlParser) skipWsCommentNewline(i int) int {
	for {
		switch c := p.at(i); {
		case i < len(p.src) && (c == ' ' || c == '\t'):
			i++
		case p.lexNewline(i) >= 0:
			i = p.lexNewline(i)
		case p.lexComment(i) >= 0:
			i = p.lexComment(i)
		default:
			return i
		}
	}
}

func isBareKeyChar(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isTOMLDigit(c) || c == '-' || c == '_'
}

func (p *tomlParser) lexUnquotedKey(i int) int {
	j := i
	for j < len(p.src) && isBareKeyChar(p.src[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// basicUnescaped is lex_basic_unescaped (without the quote and backslash
// checks, which callers make).
func tomlControl(c byte) bool { return c <= 0x08 || (c >= 0x0A && c <= 0x1F) || c == 0x7F }

// lexEscaped is lex_escaped: a backslash and an escape.
func (p *tomlParser) lexEscaped(i int) int {
	if p.at(i) != '\\' || i+1 >= len(p.src) {
		return -1
	}
	switch p.src[i+1] {
	case '"', '\\', 'b', 'f', 'n', 'r', 't':
		return i + 2
	case 'u':
		if p.hexRun(i+2, 4) {
			return i + 6
		}
	case 'U':
		if p.hexRun(i+2, 8) {
			return i + 10
		}
	}
	return -1
}

func (p *tomlParser) hexRun(i, n int) bool {
	if i+n > len(p.src) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isTOMLHex(p.src[k]) {
			return false
		}
	}
	return true
}

func (p *tomlParser) lexBasicString(i int) int {
	if p.at(i) != '"' || i >= len(p.src) {
		return -1
	}
	j := i + 1
	for j < len(p.src) {
		c := p.src[j]
		switch {
		case c == '"':
			return j + 1
		case c == '\\':
			k := p.lexEscaped(j)
			if k < 0 {
				return -1
			}
			j = k
		case tomlControl(c):
			return -1
		default:
			j++
		}
	}
	return -1
}

func (p *tomlParser) lexLiteralString(i int) int {
	if p.at(i) != '\'' || i >= len(p.src) {
		return -1
	}
	j := i + 1
	for j < len(p.src) {
		c := p.src[j]
		switch {
		case c == '\'':
			return j + 1
		case tomlControl(c):
			return -1
		default:
			j++
		}
	}
	return -1
}

func (p *tomlParser) lexSimpleKey(i int) int {
	if j := p.lexUnquotedKey(i); j >= 0 {
		return j
	}
	if j := p.lexBasicString(i); j >= 0 {
		return j
	}
	return p.lexLiteralString(i)
}

// lexDotSep is sequence<maybe<lex_ws>, '.', maybe<lex_ws>>.
func (p *tomlParser) lexDotSep(i int) int {
	j := p.skipWs(i)
	if p.at(j) != '.' || j >= len(p.src) {
		return -1
	}
	return p.skipWs(j + 1)
}

// lexDottedKey is a simple key followed by at least one (dot, simple key).
func (p *tomlParser) lexDottedKey(i int) int {
	j := p.lexSimpleKey(i)
	if j < 0 {
		return -1
	}
	n := 0
	for {
		k := p.lexDotSep(j)
		if k < 0 {
			break
		}
		k = p.lexSimpleKey(k)
		if k < 0 {
			break
		}
		j = k
		n++
	}
	if n == 0 {
		return -1
	}
	return j
}

func (p *tomlParser) lexKey(i int) int {
	if j := p.lexDottedKey(i); j >= 0 {
		return j
	}
	return p.lexSimpleKey(i)
}

func (p *tomlParser) lexKeyvalSep(i int) int {
	j := p.skipWs(i)
	if p.at(j) != '=' || j >= len(p.src) {
		return -1
	}
	return p.skipWs(j + 1)
}

// lexStdTable is '[' ws? key ws? ']'; lexArrayTable the same with [[ ]].
func (p *tomlParser) lexStdTable(i int) int {
	if p.at(i) != '[' || i >= len(p.src) {
		return -1
	}
	j := p.lexKey(p.skipWs(i + 1))
	if j < 0 {
		return -1
	}
	j = p.skipWs(j)
	if p.at(j) != ']' || j >= len(p.src) {
		return -1
	}
	return j + 1
}

func (p *tomlParser) lexArrayTable(i int) int {
	if !strings.HasPrefix(p.src[i:], "[[") {
		return -1
	}
	j := p.lexKey(p.skipWs(i + 2))
	if j < 0 {
		return -1
	}
	j = p.skipWs(j)
	if !strings.HasPrefix(p.src[j:], "]]") {
		return -1
	}
	return j + 2
}

// digits matches exactly n digits.
func (p *tomlParser) digits(i, n int) int {
	if i+n > len(p.src) {
		return -1
	}
	for k := i; k < i+n; k++ {
		if !isTOMLDigit(p.src[k]) {
			return -1
		}
	}
	return i + n
}

func (p *tomlParser) char(i int, c byte) int {
	if i < len(p.src) && p.src[i] == c {
		return i + 1
	}
	return -1
}

// seq runs lexers one after the other.
func (p *tomlParser) seq(i int, steps ...func(int) int) int {
	for _, s := range steps {
		if i < 0 {
			return -1
		}
		i = s(i)
	}
	return i
}

func (p *tomlParser) lexFullDate(i int) int {
	d := func(n int) func(int) int { return func(i int) int { return p.digits(i, n) } }
	dash := func(i int) int { return p.char(i, '-') }
	return p.seq(i, d(4), dash, d(2), dash, d(2))
}

func (p *tomlParser) lexPartialTime(i int) int {
	d2 := func(i int) int { return p.digits(i, 2) }
	colon := func(i int) int { return p.char(i, ':') }
	j := p.seq(i, d2, colon, d2, colon, d2)
	if j < 0 {
		return -1
	}
	if p.at(j) == '.' && j < len(p.src) && isTOMLDigit(p.at(j+1)) && j+1 < len(p.src) {
		j += 2
		for j < len(p.src) && isTOMLDigit(p.src[j]) {
			j++
		}
	}
	return j
}

func (p *tomlParser) lexTimeDelim(i int) int {
	if c := p.at(i); i < len(p.src) && (c == 'T' || c == 't' || c == ' ') {
		return i + 1
	}
	return -1
}

func (p *tomlParser) lexNumOffset(i int) int {
	if c := p.at(i); i >= len(p.src) || (c != '+' && c != '-') {
		return -1
	}
	return p.seq(i+1, func(i int) int { return p.digits(i, 2) }, func(i int) int { return p.char(i, ':') }, func(i int) int { return p.digits(i, 2) })
}

func (p *tomlParser) lexOffset(i int) int {
	if c := p.at(i); i < len(p.src) && (c == 'Z' || c == 'z') {
		return i + 1
	}
	return p.lexNumOffset(i)
}

func (p *tomlParser) lexLocalDateTime(i int) int {
	return p.seq(i, p.lexFullDate, p.lexTimeDelim, p.lexPartialTime)
}

func (p *tomlParser) lexOffsetDateTime(i int) int {
	return p.seq(i, p.lexLocalDateTime, p.lexOffset)
}

// lexDigitsUnderscored is digit *(digit | '_' digit), after a first
// character already checked by first.
func (p *tomlParser) lexDigitsUnderscored(i int, first, digit func(byte) bool, atLeastOne bool) int {
	if i >= len(p.src) || !first(p.src[i]) {
		return -1
	}
	j := i + 1
	n := 0
	for {
		if j < len(p.src) && digit(p.src[j]) {
			j++
		} else if p.at(j) == '_' && j+1 < len(p.src) && digit(p.src[j+1]) {
			j += 2
		} else {
			break
		}
		n++
	}
	if atLeastOne && n == 0 {
		return -1
	}
	return j
}

func isNonzero(c byte) bool { return c >= '1' && c <= '9' }
func isOctal(c byte) bool   { return c >= '0' && c <= '7' }
func isBinary(c byte) bool  { return c == '0' || c == '1' }

// lexUnsignedDecInt is nonzero 1*(digit | _ digit) | digit.
func (p *tomlParser) lexUnsignedDecInt(i int) int {
	if j := p.lexDigitsUnderscored(i, isNonzero, isTOMLDigit, true); j >= 0 {
		return j
	}
	if i < len(p.src) && isTOMLDigit(p.src[i]) {
		return i + 1
	}
	return -1
}

func (p *tomlParser) skipSign(i int) int {
	if c := p.at(i); i < len(p.src) && (c == '+' || c == '-') {
		return i + 1
	}
	return i
}

func (p *tomlParser) lexDecInt(i int) int { return p.lexUnsignedDecInt(p.skipSign(i)) }

func (p *tomlParser) lexPrefixedInt(i int, prefix string, digit func(byte) bool) int {
	if !strings.HasPrefix(p.src[i:], prefix) {
		return -1
	}
	return p.lexDigitsUnderscored(i+2, digit, digit, false)
}

func (p *tomlParser) lexInteger(i int) int {
	if j := p.lexPrefixedInt(i, "0b", isBinary); j >= 0 {
		return j
	}
	if j := p.lexPrefixedInt(i, "0o", isOctal); j >= 0 {
		return j
	}
	if j := p.lexPrefixedInt(i, "0x", isTOMLHex); j >= 0 {
		return j
	}
	return p.lexDecInt(i)
}

// lexZeroPrefixableInt is digit *(digit | _ digit).
func (p *tomlParser) lexZeroPrefixableInt(i int) int {
	return p.lexDigitsUnderscored(i, isTOMLDigit, isTOMLDigit, false)
}

func (p *tomlParser) lexExponent(i int) int {
	if c := p.at(i); i >= len(p.src) || (c != 'e' && c != 'E') {
		return -1
	}
	return p.lexZeroPrefixableInt(p.skipSign(i + 1))
}

func (p *tomlParser) lexFloat(i int) int {
	j := p.skipSign(i)
	if strings.HasPrefix(p.src[j:], "inf") || strings.HasPrefix(p.src[j:], "nan") {
		return j + 3
	}
	j = p.lexDecInt(i)
	if j < 0 {
		return -1
	}
	if k := p.lexExponent(j); k >= 0 {
		return k
	}
	if p.at(j) != '.' || j >= len(p.src) {
		return -1
	}
	k := p.lexZeroPrefixableInt(j + 1)
	if k < 0 {
		return -1
	}
	if e := p.lexExponent(k); e >= 0 {
		return e
	}
	return k
}
