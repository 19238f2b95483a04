package syntax

import (
	"math"
	"strconv"
	"strings"
)

// The scanner is a hand-written equivalent of Nix's flex lexer (lexer.l).
// Like flex it picks, at each position, the longest match among the rules
// that apply in the current start condition, the earlier rule winning a tie,
// and it keeps the same stack of start conditions, so that it produces
// exactly the tokens Nix's lexer produces, in the same places.

// lexMode is a flex start condition of Nix's lexer.
type lexMode uint8

const (
	modeInitial     lexMode = iota // bottom of the stack; '}' does not pop it
	modeDefault                    // inside { } and ${ }
	modeString                     // inside "..."
	modeIndString                  // inside ''...''
	modeInPath                     // inside a path, after text not ending in '/'
	modeInPathSlash                // inside a path, after text ending in '/'
)

// tLexErr is returned by the scanner after it recorded an error.
const tLexErr = numTokens

// scanner turns source text into tokens. It never allocates per token:
// token text is a substring of src, which is a string copy of the file.
type scanner struct {
	src   string
	opts  *Options
	pos   int // next byte to read
	mode  lexMode
	stack []lexMode

	// The last token.
	tok        token
	start, end int     // byte offsets of its text
	ival       int64   // tINT
	fval       float64 // tFLOAT
	// For tINDSTR: indRaw says the text is src[start:end], subject to
	// indentation stripping; otherwise indVal is the literal value (an
	// escape such as ''$ or ''\n).
	indRaw bool
	indVal string

	// The error that made the scanner return tLexErr.
	errOff int
	errMsg string

	// The location of the last matched rule and the one before (see match).
	locStart, locEnd     int
	stashStart, stashEnd int

	// Caches that keep scanning linear on hostile input.
	pathRunStart, pathRunEnd     int
	schemeRunStart, schemeRunEnd int
	noCommentEnd                 bool // no "*/" after the last unterminated "/*"
}

func (s *scanner) init(src string, opts *Options) {
	s.src = src
	s.opts = opts
	s.mode = modeInitial
}

func (s *scanner) push(m lexMode) {
	s.stack = append(s.stack, s.mode)
	s.mode = m
}

func (s *scanner) pop() {
	if n := len(s.stack); n > 0 {
		s.mode = s.stack[n-1]
		s.stack = s.stack[:n-1]
	}
}

func (s *scanner) emit(t token, start, end int) token {
	s.match(start, end)
	s.tok, s.start, s.end = t, start, end
	s.pos = end
	return t
}

// match records that a lexer rule matched src[start:end], as flex's
// YY_USER_ACTION does in Nix's lexer: the previous location is stashed.
// Nix's lexer reports some tokens at a restored (stashed) location, which
// shows in the positions of errors at the end of a path.
func (s *scanner) match(start, end int) {
	s.stashStart, s.stashEnd = s.locStart, s.locEnd
	s.locStart, s.locEnd = start, end
}

// emitEOF returns the end of the input, which flex matches without a rule
// action: it keeps the last location, where errors at the end of the input
// are reported.
func (s *scanner) emitEOF() token {
	s.tok, s.start, s.end = tEOF, s.locStart, s.locEnd
	s.pos = len(s.src)
	return tEOF
}

func (s *scanner) fail(off int, msg string) token {
	s.errOff, s.errMsg = off, msg
	s.tok = tLexErr
	return tLexErr
}

// next scans the next token.
func (s *scanner) next() token {
	switch s.mode {
	case modeString:
		return s.scanString()
	case modeIndString:
		return s.scanIndString()
	case modeInPath, modeInPathSlash:
		return s.scanInPath()
	}
	return s.scanDefault()
}

func isPathChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == '+'
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

func isIDChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '\'' || c == '-'
}

func isURIChar(c byte) bool {
	if isLetter(c) || isDigit(c) {
		return true
	}
	switch c {
	case '%', '/', '?', ':', '@', '&', '=', '+', '$', ',', '-', '_', '.', '!', '~', '*', '\'':
		return true
	}
	return false
}

// pathRun is the number of PATH_CHARs at i. Every position inside a run
// of PATH_CHARs shares the run's end, which is remembered, so that
// rescanning a long run from each token inside it ("a.a.a.a...") stays
// linear.
func (s *scanner) pathRun(i int) int {
	if i >= s.pathRunStart && i < s.pathRunEnd {
		return s.pathRunEnd - i
	}
	j := i
	for j < len(s.src) && isPathChar(s.src[j]) {
		j++
	}
	if j > i {
		s.pathRunStart, s.pathRunEnd = i, j
	}
	return j - i
}

func isSchemeChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '+' || c == '-' || c == '.'
}

// schemeRun is the number of URI scheme characters at i, remembered like
// pathRun.
func (s *scanner) schemeRun(i int) int {
	if i >= s.schemeRunStart && i < s.schemeRunEnd {
		return s.schemeRunEnd - i
	}
	j := i
	for j < len(s.src) && isSchemeChar(s.src[j]) {
		j++
	}
	if j > i {
		s.schemeRunStart, s.schemeRunEnd = i, j
	}
	return j - i
}

// matchPath is the length of {PATH} at i:
// {PATH_CHAR}*(\/{PATH_CHAR}+)+\/?
func (s *scanner) matchPath(i int) int {
	src := s.src
	j := i + s.pathRun(i)
	segs := 0
	for j+1 < len(src) && src[j] == '/' && isPathChar(src[j+1]) {
		j++
		j += s.pathRun(j)
		segs++
	}
	if segs == 0 {
		return 0
	}
	if j < len(src) && src[j] == '/' {
		j++
	}
	return j - i
}

// matchPathSegDollar is the length of {PATH_SEG}\$\{ at i, 0 if none.
func (s *scanner) matchPathSegDollar(i int) int {
	j := i + s.pathRun(i)
	if strings.HasPrefix(s.src[j:], "/${") {
		return j + 3 - i
	}
	return 0
}

// matchHPath is the length of {HPATH} at i (s.src[i] == '~'):
// \~(\/{PATH_CHAR}+)+\/?
func (s *scanner) matchHPath(i int) int {
	src := s.src
	j := i + 1
	segs := 0
	for j+1 < len(src) && src[j] == '/' && isPathChar(src[j+1]) {
		j++
		j += s.pathRun(j)
		segs++
	}
	if segs == 0 {
		return 0
	}
	if j < len(src) && src[j] == '/' {
		j++
	}
	return j - i
}

// matchURI is the length of {URI} at i:
// [a-zA-Z][a-zA-Z0-9\+\-\.]*\:[a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']+
func (s *scanner) matchURI(i int) int {
	src := s.src
	if !isLetter(src[i]) {
		return 0
	}
	j := i + s.schemeRun(i)
	if j >= len(src) || src[j] != ':' {
		return 0
	}
	j++
	k := j
	for k < len(src) && isURIChar(src[k]) {
		k++
	}
	if k == j {
		return 0
	}
	return k - i
}

// matchSPath is the length of {SPATH} at i (s.src[i] == '<'):
// \<{PATH_CHAR}+(\/{PATH_CHAR}+)*\>
func (s *scanner) matchSPath(i int) int {
	src := s.src
	j := i + 1
	r := s.pathRun(j)
	if r == 0 {
		return 0
	}
	j += r
	for j+1 < len(src) && src[j] == '/' && isPathChar(src[j+1]) {
		j++
		j += s.pathRun(j)
	}
	if j < len(src) && src[j] == '>' {
		return j + 1 - i
	}
	return 0
}

func (s *scanner) digits(i int) int {
	j := i
	for j < len(s.src) && isDigit(s.src[j]) {
		j++
	}
	return j - i
}

// matchFloat is the length of {FLOAT} at i:
// (([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?
func (s *scanner) matchFloat(i int) int {
	src := s.src
	j := i
	switch {
	case '1' <= src[j] && src[j] <= '9':
		j += 1 + s.digits(j+1)
		if j >= len(src) || src[j] != '.' {
			return 0
		}
		j++
		j += s.digits(j)
	default:
		if src[j] == '0' {
			j++
		}
		if j >= len(src) || src[j] != '.' {
			return 0
		}
		d := s.digits(j + 1)
		if d == 0 {
			return 0
		}
		j += 1 + d
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if d := s.digits(k); d > 0 {
			j = k + d
		}
	}
	return j - i
}

// tPathStart marks the {PATH_SEG}\$\{ and {HPATH_START}\$\{ rules while the
// scanner picks the longest match.
const tPathStart = tLexErr + 1

// pathRules considers the path rules after the others that can match at i,
// which matched best bytes as kind; they come later in lexer.l, so they win
// only with a longer match.
func (s *scanner) pathRules(i, best int, kind token) (int, token) {
	if l := s.matchPathSegDollar(i); l > best {
		best, kind = l, tPathStart
	}
	if l := s.matchPath(i); l > best {
		best, kind = l, tPATH
	}
	return best, kind
}

func (s *scanner) scanDefault() token {
	src := s.src
	for {
		i := s.pos
		if i >= len(src) {
			return s.emitEOF()
		}
		switch c := src[i]; c {
		case ' ', '\t', '\r', '\n':
			j := i + 1
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r' || src[j] == '\n') {
				j++
			}
			s.match(i, j)
			s.pos = j
			continue
		case '#':
			j := i
			for j < len(src) && src[j] != '\n' && src[j] != '\r' {
				j++
			}
			s.match(i, j)
			s.pos = j
			continue
		case '/':
			if i+1 < len(src) && src[i+1] == '*' {
				if !s.noCommentEnd {
					if j := strings.Index(src[i+2:], "*/"); j >= 0 {
						s.match(i, i+2+j+2)
						s.pos = i + 2 + j + 2
						continue
					}
					s.noCommentEnd = true
				}
				// An unterminated comment is a '/' token.
				return s.emit(tSLASH, i, i+1)
			}
		}
		return s.scanToken(i)
	}
}

func (s *scanner) has(i int, lit string) bool { return strings.HasPrefix(s.src[i:], lit) }

// scanToken scans a token in the INITIAL/DEFAULT start condition at i.
func (s *scanner) scanToken(i int) token {
	src := s.src
	c := src[i]
	best, kind := 1, tInvalid
	switch {
	case isLetter(c) || c == '_':
		j := i + 1
		for j < len(src) && isIDChar(src[j]) {
			j++
		}
		best, kind = j-i, keyword(src[i:j])
		if j < len(src) && (isPathChar(src[j]) || src[j] == '/' || src[j] == ':') {
			// Only then can a path or a URI be longer than the identifier.
			best, kind = s.pathRules(i, best, kind)
			if l := s.matchURI(i); l > best {
				best, kind = l, tURI
			}
		} else if kind == tID {
			return s.emit(tID, i, j)
		}
	case isDigit(c):
		best, kind = s.digits(i), tINT
		if l := s.matchFloat(i); l > best {
			best, kind = l, tFLOAT
		}
		best, kind = s.pathRules(i, best, kind)
	default:
		switch c {
		case '.':
			kind = tDOT
			if s.has(i, "...") {
				best, kind = 3, tELLIPSIS
			}
			if l := s.matchFloat(i); l > best {
				best, kind = l, tFLOAT
			}
			best, kind = s.pathRules(i, best, kind)
		case '+':
			kind = tPLUS
			if s.has(i, "++") {
				best, kind = 2, tCONCAT
			}
			best, kind = s.pathRules(i, best, kind)
		case '-':
			kind = tMINUS
			if s.has(i, "->") {
				best, kind = 2, tIMPL
			}
			best, kind = s.pathRules(i, best, kind)
		case '/':
			kind = tSLASH
			if s.has(i, "//") {
				best, kind = 2, tUPDATE
			}
			best, kind = s.pathRules(i, best, kind)
		case '~':
			if s.has(i, "~/${") {
				best, kind = 4, tPathStart
			}
			if l := s.matchHPath(i); l > best {
				best, kind = l, tHPATH
			}
		case '<':
			kind = tLT
			if s.has(i, "<=") {
				best, kind = 2, tLEQ
			} else if s.has(i, "<|") {
				best, kind = 2, tPIPEFROM
			}
			if l := s.matchSPath(i); l > best {
				best, kind = l, tSPATH
			}
		case '>':
			kind = tGT
			if s.has(i, ">=") {
				best, kind = 2, tGEQ
			}
		case '=':
			kind = tASSIGN
			if s.has(i, "==") {
				best, kind = 2, tEQ
			}
		case '!':
			kind = tBANG
			if s.has(i, "!=") {
				best, kind = 2, tNEQ
			}
		case '&':
			if s.has(i, "&&") {
				best, kind = 2, tAND
			}
		case '|':
			if s.has(i, "||") {
				best, kind = 2, tOR
			} else if s.has(i, "|>") {
				best, kind = 2, tPIPEINTO
			}
		case '$':
			if s.has(i, "${") {
				s.push(modeDefault)
				return s.emit(tDOLLARCURLY, i, i+2)
			}
		case '{':
			s.push(modeDefault)
			return s.emit(tLBRACE, i, i+1)
		case '}':
			if s.mode != modeInitial {
				s.pop()
			}
			return s.emit(tRBRACE, i, i+1)
		case '"':
			s.push(modeString)
			return s.emit(tQUOTE, i, i+1)
		case '\'':
			if s.has(i, "''") {
				j := i + 2
				k := j
				for k < len(src) && src[k] == ' ' {
					k++
				}
				if k < len(src) && src[k] == '\n' {
					j = k + 1
				}
				s.push(modeIndString)
				return s.emit(tINDOPEN, i, j)
			}
		case '(':
			kind = tLPAREN
		case ')':
			kind = tRPAREN
		case '[':
			kind = tLBRACK
		case ']':
			kind = tRBRACK
		case ';':
			kind = tSEMI
		case ':':
			kind = tCOLON
		case ',':
			kind = tCOMMA
		case '@':
			kind = tAT
		case '?':
			kind = tQUESTION
		case '*':
			kind = tSTAR
		case 0:
			// Nix's lexer returns a NUL byte as character 0, which Bison
			// takes for the end of the input.
			kind = tEOF
		}
	}

	end := i + best
	switch kind {
	case tINT:
		v, err := strconv.ParseInt(src[i:end], 10, 64)
		if err != nil {
			return s.fail(i, "invalid integer '"+src[i:end]+"'")
		}
		s.ival = v
	case tFLOAT:
		v, ok := parseFloat(src[i:end])
		if !ok {
			return s.fail(i, "invalid float '"+src[i:end]+"'")
		}
		s.fval = v
	case tPathStart:
		// {PATH_SEG}\$\{ or {HPATH_START}\$\{: the token is the text up to
		// and including the slash, and the path continues.
		end -= 2
		kind = tPATH
		if c == '~' {
			kind = tHPATH
		}
		s.push(modeInPathSlash)
	case tPATH, tHPATH:
		if src[end-1] == '/' {
			s.push(modeInPathSlash)
		} else {
			s.push(modeInPath)
		}
	case tPIPEFROM, tPIPEINTO:
		if !s.opts.PipeOperators {
			return s.fail(i, "experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it")
		}
	}
	return s.emit(kind, i, end)
}

// parseFloat converts a {FLOAT} as strtod does, failing where strtod sets
// ERANGE: on overflow and on underflow to a subnormal number or zero.
func parseFloat(text string) (float64, bool) {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false
	}
	if v != 0 && math.Abs(v) < 0x1p-1022 {
		return 0, false
	}
	if v == 0 {
		// Zero is exact only when every digit of the mantissa is zero.
		for i := 0; i < len(text) && text[i] != 'e' && text[i] != 'E'; i++ {
			if '1' <= text[i] && text[i] <= '9' {
				return 0, false
			}
		}
	}
	return v, true
}

// scanString scans inside "...".
func (s *scanner) scanString() token {
	src := s.src
	i := s.pos
	if i >= len(src) {
		return s.emitEOF()
	}
	switch src[i] {
	case '"':
		s.pop()
		return s.emit(tQUOTE, i, i+1)
	case '$':
		if s.has(i, "${") {
			s.push(modeDefault)
			return s.emit(tDOLLARCURLY, i, i+2)
		}
	}
	// ([^\$\"\\]|\$[^\{\"\\]|\\{ANY}|\$\\{ANY})+, or the same followed by
	// a '$' that is followed by '"'.
	j := i
loop:
	for j < len(src) {
		switch src[j] {
		case '"':
			break loop
		case '\\':
			if j+1 >= len(src) {
				break loop
			}
			j += 2
		case '$':
			if j+1 >= len(src) {
				break loop
			}
			switch src[j+1] {
			case '{':
				break loop
			case '"':
				j++
				break loop
			case '\\':
				if j+2 >= len(src) {
					break loop
				}
				j += 3
			default:
				j += 2
			}
		default:
			j++
		}
	}
	if j == i {
		// A lone '$', '\' or '$\' at the end of the input: Nix's lexer
		// returns the end of file and lets the parser report it.
		return s.emit(tEOF, i, len(src))
	}
	if strings.IndexByte(src[i:j], 0) >= 0 {
		return s.fail(i, nullByteMessage(unescapeString(src[i:j])))
	}
	return s.emit(tSTR, i, j)
}

func nullByteMessage(s string) string {
	return "input string '" + strings.ReplaceAll(s, "\x00", "␀") + "' cannot be represented as Nix string because it contains null bytes"
}

// unescapeString decodes a "..." string token: \n, \r and \t escapes, any
// other escaped character stands for itself, and CR or CR LF become LF.
func unescapeString(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 && strings.IndexByte(raw, '\r') < 0 {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\\':
			i++
			if i >= len(raw) {
				break
			}
			switch c = raw[i]; c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			}
			b.WriteByte(c)
		case '\r':
			b.WriteByte('\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (s *scanner) indStr(i, end int, val string) token {
	s.indRaw = false
	s.indVal = val
	return s.emit(tINDSTR, i, end)
}

// scanIndString scans inside ”...”.
func (s *scanner) scanIndString() token {
	src := s.src
	i := s.pos
	if i >= len(src) {
		return s.emitEOF()
	}
	switch src[i] {
	case '\'':
		if s.has(i, "''") {
			if i+2 < len(src) {
				switch src[i+2] {
				case '$':
					return s.indStr(i, i+3, "$")
				case '\'':
					return s.indStr(i, i+3, "''")
				case '\\':
					if i+3 < len(src) {
						v := unescapeString(src[i+2 : i+4])
						if strings.IndexByte(v, 0) >= 0 {
							return s.fail(i, nullByteMessage(v))
						}
						return s.indStr(i, i+4, v)
					}
				}
			}
			s.pop()
			return s.emit(tINDCLOSE, i, i+2)
		}
		if i+1 >= len(src) || src[i+1] == '$' {
			return s.indStr(i, i+1, "'")
		}
	case '$':
		if s.has(i, "${") {
			s.push(modeDefault)
			return s.emit(tDOLLARCURLY, i, i+2)
		}
		if i+1 >= len(src) || src[i+1] == '\'' {
			return s.indStr(i, i+1, "$")
		}
	}
	// ([^\$\']|\$[^\{\']|\'[^\'\$])+
	j := i
loop:
	for j < len(src) {
		switch src[j] {
		case '$':
			if j+1 >= len(src) || src[j+1] == '{' || src[j+1] == '\'' {
				break loop
			}
			j += 2
		case '\'':
			if j+1 >= len(src) || src[j+1] == '\'' || src[j+1] == '$' {
				break loop
			}
			j += 2
		default:
			j++
		}
	}
	if strings.IndexByte(src[i:j], 0) >= 0 {
		return s.fail(i, nullByteMessage(src[i:j]))
	}
	s.indRaw = true
	return s.emit(tINDSTR, i, j)
}

// scanInPath scans the rest of a path after its first piece.
func (s *scanner) scanInPath() token {
	src := s.src
	i := s.pos
	if s.has(i, "${") {
		s.mode = modeInPath
		s.push(modeDefault)
		return s.emit(tDOLLARCURLY, i, i+2)
	}
	if i < len(src) {
		// {PATH}|{PATH_SEG}|{PATH_CHAR}+
		l := s.pathRun(i)
		if i+l < len(src) && src[i+l] == '/' {
			l++ // PATH_SEG
		}
		if p := s.matchPath(i); p > l {
			l = p
		}
		if l > 0 {
			if src[i+l-1] == '/' {
				s.mode = modeInPathSlash
			} else {
				s.mode = modeInPath
			}
			return s.emit(tSTR, i, i+l)
		}
	}
	if s.mode == modeInPath {
		// Nix's lexer gives the end of the path the location it stashed:
		// that of the path's last piece, or at the end of the input, the
		// one before.
		s.pop()
		if i < len(src) {
			s.match(i, i+1)
		}
		s.locStart, s.locEnd = s.stashStart, s.stashEnd
		s.tok, s.start, s.end = tPATHEND, s.locStart, s.locEnd
		s.pos = i
		return tPATHEND
	}
	if i >= len(src) {
		// At the end of the input flex reports the last token's position.
		return s.fail(s.start, "path has a trailing slash")
	}
	return s.fail(i, "path has a trailing slash")
}
