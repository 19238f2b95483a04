package eval

import "strings"

// The tokens of a POSIX extended regular expression, as libstdc++'s
// regex scanner produces them for std::regex::extended.

type reTok uint8

const (
	reTokEOF       reTok = iota
	reTokOrd             // an ordinary character (val)
	reTokAny             // .
	reTokLineBegin       // ^
	reTokLineEnd         // $
	reTokStar            // *
	reTokPlus            // +
	reTokOpt             // ?
	reTokOr              // |
	reTokSubBegin        // (
	reTokSubEnd          // )
	reTokBracketBegin
	reTokBracketNegBegin
	reTokBracketEnd
	reTokBracketDash
	reTokClassName // [:name:] (val)
	reTokCollSym   // [.name.] (val)
	reTokEquivName // [=name=] (val)
	reTokIntervalBegin
	reTokIntervalEnd
	reTokComma
	reTokDupCount // digits (val)
)

// reSpecial are the characters that are special outside brackets (and
// the only ones a backslash may escape: libstdc++, as Nix is built,
// rejects "\d" and friends).
const reSpecial = ".[\\()*+?{|^$"

type reScanner struct {
	pat            string
	i              int
	state          uint8 // reScanNormal, reScanBracket, reScanBrace
	atBracketStart bool
	tok            reTok
	val            string
}

const (
	reScanNormal = iota
	reScanBracket
	reScanBrace
)

func (s *reScanner) fail(detail string) {
	panic(reCompileError{errRegexInvalidf(detail)})
}

func errRegexInvalidf(detail string) error {
	return &regexDetailError{detail}
}

// regexDetailError is an invalid-pattern error with what was wrong.
type regexDetailError struct{ detail string }

func (e *regexDetailError) Error() string        { return "invalid regular expression: " + e.detail }
func (e *regexDetailError) Unwrap() error        { return errRegexInvalid }
func (e *regexDetailError) Is(target error) bool { return target == errRegexInvalid }

// advance reads the next token.
func (s *reScanner) advance() {
	s.val = ""
	if s.i >= len(s.pat) {
		s.tok = reTokEOF
		return
	}
	switch s.state {
	case reScanNormal:
		s.scanNormal()
	case reScanBracket:
		s.scanBracket()
	default:
		s.scanBrace()
	}
}

func (s *reScanner) ord(c byte) {
	s.tok = reTokOrd
	s.val = s.pat[s.i-1 : s.i]
	if s.val[0] != c {
		s.val = string([]byte{c})
	}
}

func (s *reScanner) scanNormal() {
	c := s.pat[s.i]
	s.i++
	if c == 0 {
		s.fail("NUL character")
	}
	if strings.IndexByte(reSpecial, c) < 0 {
		s.ord(c)
		return
	}
	switch c {
	case '\\':
		if s.i >= len(s.pat) {
			s.fail("trailing backslash")
		}
		e := s.pat[s.i]
		if e == 0 || strings.IndexByte(reSpecial, e) < 0 {
			s.fail("escape of an ordinary character")
		}
		s.i++
		s.ord(e)
	case '(':
		s.tok = reTokSubBegin
	case ')':
		s.tok = reTokSubEnd
	case '[':
		s.state = reScanBracket
		s.atBracketStart = true
		if s.i < len(s.pat) && s.pat[s.i] == '^' {
			s.tok = reTokBracketNegBegin
			s.i++
		} else {
			s.tok = reTokBracketBegin
		}
	case '{':
		s.state = reScanBrace
		s.tok = reTokIntervalBegin
	case '^':
		s.tok = reTokLineBegin
	case '$':
		s.tok = reTokLineEnd
	case '.':
		s.tok = reTokAny
	case '*':
		s.tok = reTokStar
	case '+':
		s.tok = reTokPlus
	case '?':
		s.tok = reTokOpt
	case '|':
		s.tok = reTokOr
	}
}

func (s *reScanner) scanBracket() {
	c := s.pat[s.i]
	s.i++
	switch {
	case c == '-':
		s.tok = reTokBracketDash
	case c == '[':
		if s.i >= len(s.pat) {
			s.fail("unterminated bracket expression")
		}
		switch k := s.pat[s.i]; k {
		case '.', ':', '=':
			s.i++
			s.eatClass(k)
		default:
			s.ord('[')
		}
	case c == ']' && !s.atBracketStart:
		s.tok = reTokBracketEnd
		s.state = reScanNormal
	default:
		s.ord(c)
	}
	s.atBracketStart = false
}

// eatClass reads the name of [:name:], [.name.] or [=name=] after its
// opening bracket and delimiter.
func (s *reScanner) eatClass(delim byte) {
	j := strings.IndexByte(s.pat[s.i:], delim)
	if j < 0 {
		s.fail("unterminated class name")
	}
	s.val = s.pat[s.i : s.i+j]
	s.i += j + 1
	if s.i >= len(s.pat) || s.pat[s.i] != ']' {
		s.fail("unterminated class name")
	}
	s.i++
	switch delim {
	case ':':
		s.tok = reTokClassName
	case '.':
		s.tok = reTokCollSym
	default:
		s.tok = reTokEquivName
	}
}

func (s *reScanner) scanBrace() {
	c := s.pat[s.i]
	s.i++
	switch {
	case '0' <= c && c <= '9':
		j := s.i
		for j < len(s.pat) && '0' <= s.pat[j] && s.pat[j] <= '9' {
			j++
		}
		s.tok = reTokDupCount
		s.val = s.pat[s.i-1 : j]
		s.i = j
	case c == ',':
		s.tok = reTokComma
	case c == '}':
		s.tok = reTokIntervalEnd
		s.state = reScanNormal
	default:
		s.fail("bad brace")
	}
}
