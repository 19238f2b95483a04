package syntax

// indPart is one piece of an indented string as the scanner delivers it:
// raw text (subject to indentation stripping), an escape's value, or an
// interpolated expression.
type indPart struct {
	off  int    // offset of the token
	raw  bool   // text is raw source text, not an escape's value
	text string // for text pieces
	expr Expr   // for ${...}
}

// stripIndentation removes the common indentation of an indented string,
// exactly as Nix's ParserState::stripIndentation does:
//   - the indentation is the least number of leading spaces over the lines
//     that have something other than spaces, where an interpolation or an
//     escape ends a line's leading whitespace;
//   - that many leading spaces are dropped from every line (escapes that
//     produce spaces at the start of a line count as leading spaces here);
//   - a final line holding only spaces is dropped.
//
// The parts keep Nix 2.8's structure: one literal per text or escape token
// (possibly empty) and one part per interpolation.
func (p *parser) stripIndentation(start int, es []indPart) *String {
	s := p.newString(String{At: p.pos(start), Indented: true})
	if len(es) == 0 {
		return s
	}

	atStartOfLine := true // seen only spaces on the current line
	minIndent := 1000000
	curIndent := 0
	for _, e := range es {
		if e.expr != nil || !e.raw {
			if atStartOfLine {
				atStartOfLine = false
				minIndent = min(minIndent, curIndent)
			}
			continue
		}
		for j := 0; j < len(e.text); j++ {
			c := e.text[j]
			switch {
			case atStartOfLine && c == ' ':
				curIndent++
			case atStartOfLine && c == '\n':
				curIndent = 0 // an empty line does not count
			case atStartOfLine:
				atStartOfLine = false
				minIndent = min(minIndent, curIndent)
			case c == '\n':
				atStartOfLine = true
				curIndent = 0
			}
		}
	}

	s.Parts = p.a.exprSlice(len(es))[:0]
	atStartOfLine = true
	curDropped := 0
	var buf []byte
	for i, e := range es {
		if e.expr != nil {
			atStartOfLine = false
			curDropped = 0
			s.Parts = append(s.Parts, e.expr)
			s.Interp = append(s.Interp, p.pos(e.off))
			continue
		}
		buf = buf[:0]
		text := e.text
		for j := 0; j < len(text); j++ {
			c := text[j]
			if atStartOfLine {
				switch c {
				case ' ':
					if curDropped >= minIndent {
						buf = append(buf, c)
					}
					curDropped++
				case '\n':
					curDropped = 0
					buf = append(buf, c)
				default:
					atStartOfLine = false
					curDropped = 0
					buf = append(buf, c)
				}
			} else {
				buf = append(buf, c)
				if c == '\n' {
					atStartOfLine = true
				}
			}
		}
		if i == len(es)-1 {
			// Remove the last line if it is empty and consists only of
			// spaces.
			if nl := lastIndexByte(buf, '\n'); nl >= 0 && onlySpaces(buf[nl+1:]) {
				buf = buf[:nl+1]
			}
		}
		var v string
		switch {
		case len(buf) == len(text) && string(buf) == text:
			v = text // nothing stripped: share the source text
		default:
			v = string(buf)
		}
		s.Parts = append(s.Parts, p.a.lit(p.pos(e.off), v))
	}
	return s
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func onlySpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}
