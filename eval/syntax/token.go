package syntax

// token is a lexical token kind. The order is the order in which Nix's
// Bison grammar numbers its symbols, because syntax errors list the expected
// tokens in that order ("expecting identifier or 'or' or '${' or '"'").
type token uint8

const (
	tEOF     token = iota // end of input (also a NUL byte outside strings)
	tInvalid              // a byte the grammar does not know
	tID
	tSTR    // literal text inside "..." or a path
	tINDSTR // literal text inside ''...''
	tINT
	tFLOAT
	tPATH  // ./a, a/b, /a (the first piece of a path)
	tHPATH // ~/a
	tSPATH // <a/b>
	tPATHEND
	tURI
	tIF
	tTHEN
	tELSE
	tASSERT
	tWITH
	tLET
	tIN
	tREC
	tINHERIT
	tEQ
	tNEQ
	tLEQ
	tGEQ
	tUPDATE
	tCONCAT
	tAND
	tOR
	tIMPL
	tORKW
	tPIPEFROM // <|
	tPIPEINTO // |>
	tDOLLARCURLY
	tINDOPEN
	tINDCLOSE
	tELLIPSIS
	tREPLBINDINGS // never produced; keeps the numbering of Nix's grammar
	tLT           // <
	tGT           // >
	tNOT          // precedence pseudo-token of Nix's grammar; never produced
	tPLUS
	tMINUS
	tSTAR
	tSLASH
	tQUESTION
	tNEGATE // precedence pseudo-token; never produced
	tCOLON
	tAT
	tSEMI
	tBANG
	tDOT
	tQUOTE
	tLPAREN
	tRPAREN
	tLBRACE
	tRBRACE
	tLBRACK
	tRBRACK
	tASSIGN
	tCOMMA
	numTokens
)

// tokenNames are the names Nix's parser uses for tokens in syntax errors.
var tokenNames = [numTokens]string{
	tEOF:          "end of file",
	tInvalid:      "invalid token",
	tID:           "identifier",
	tSTR:          "string",
	tINDSTR:       "indented string",
	tINT:          "integer",
	tFLOAT:        "floating-point literal",
	tPATH:         "path",
	tHPATH:        "'~/…' path",
	tSPATH:        "'<…>' path",
	tPATHEND:      "end of path",
	tURI:          "URI",
	tIF:           "'if'",
	tTHEN:         "'then'",
	tELSE:         "'else'",
	tASSERT:       "'assert'",
	tWITH:         "'with'",
	tLET:          "'let'",
	tIN:           "'in'",
	tREC:          "'rec'",
	tINHERIT:      "'inherit'",
	tEQ:           "'=='",
	tNEQ:          "'!='",
	tLEQ:          "'<='",
	tGEQ:          "'>='",
	tUPDATE:       "'//'",
	tCONCAT:       "'++'",
	tAND:          "'&&'",
	tOR:           "'||'",
	tIMPL:         "'->'",
	tORKW:         "'or'",
	tPIPEFROM:     "'<|'",
	tPIPEINTO:     "'|>'",
	tDOLLARCURLY:  "'${'",
	tINDOPEN:      "start of an indented string",
	tINDCLOSE:     "end of an indented string",
	tELLIPSIS:     "'...'",
	tREPLBINDINGS: "start of REPL bindings",
	tLT:           "'<'",
	tGT:           "'>'",
	tNOT:          "NOT",
	tPLUS:         "'+'",
	tMINUS:        "'-'",
	tSTAR:         "'*'",
	tSLASH:        "'/'",
	tQUESTION:     "'?'",
	tNEGATE:       "NEGATE",
	tCOLON:        "':'",
	tAT:           "'@'",
	tSEMI:         "';'",
	tBANG:         "'!'",
	tDOT:          "'.'",
	tQUOTE:        "'\"'",
	tLPAREN:       "'('",
	tRPAREN:       "')'",
	tLBRACE:       "'{'",
	tRBRACE:       "'}'",
	tLBRACK:       "'['",
	tRBRACK:       "']'",
	tASSIGN:       "'='",
	tCOMMA:        "','",
}

func (t token) String() string {
	if t < numTokens {
		return tokenNames[t]
	}
	return "invalid token"
}

// tokenSet is a set of tokens, used for the "expecting ..." part of syntax
// errors.
type tokenSet uint64

func setOf(ts ...token) tokenSet {
	var s tokenSet
	for _, t := range ts {
		s |= 1 << t
	}
	return s
}

func (s tokenSet) has(t token) bool { return s&(1<<t) != 0 }

// Token sets that recur in syntax errors, named after the grammar position
// whose LR state reports them.
var (
	// tokens that start an attribute name (attrpath, inherit list)
	setAttrStart = setOf(tID, tORKW, tDOLLARCURLY, tQUOTE)
	// the state of a binding's attribute path before '='
	setAttrPathCont = setOf(tDOT, tASSIGN)
	// tokens that start an expr_simple
	setSimpleStart = setOf(tID, tINT, tFLOAT, tQUOTE, tINDOPEN, tPATH, tHPATH, tSPATH, tURI,
		tLPAREN, tLET, tREC, tLBRACE, tLBRACK)
)

// keyword returns the keyword token spelled by b, or tID.
func keyword(b string) token {
	switch b {
	case "if":
		return tIF
	case "then":
		return tTHEN
	case "else":
		return tELSE
	case "assert":
		return tASSERT
	case "with":
		return tWITH
	case "let":
		return tLET
	case "in":
		return tIN
	case "rec":
		return tREC
	case "inherit":
		return tINHERIT
	case "or":
		return tORKW
	}
	return tID
}
