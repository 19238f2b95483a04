package derivation

import (
	"fmt"
	"strings"

	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
)

// MaxSize bounds the ATerm Parse accepts. The largest derivations in
// nixpkgs are a few megabytes; this leaves a wide margin while keeping a
// hostile input from costing unbounded memory.
const MaxSize = 256 << 20

// ParseError reports malformed ATerm: what was wrong and at which byte.
type ParseError struct {
	Offset int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid derivation at byte %d: %s", e.Offset, e.Msg)
}

// Parse parses a store derivation in ATerm form whose paths are in
// /nix/store. See ParseIn.
func Parse(data []byte) (*Derivation, error) {
	return ParseIn(storepath.DefaultStoreDir, data)
}

// ParseIn parses a store derivation in ATerm form whose paths are in dir.
//
// The parser is strict: it accepts exactly the texts that Nix 2.8 writes,
// so that for every accepted input, writing the result gives back the same
// bytes (and so the same store path). Beyond what Nix's own parser checks,
// it rejects unsorted or duplicate map keys and set members, escapes other
// than \" \\ \n \r \t, raw tabs and line breaks where Nix would have escaped
// them, backslashes where Nix writes strings without escaping, fixed-output
// hashes not in lower-case base 16, and trailing bytes.
func ParseIn(dir storepath.StoreDir, data []byte) (*Derivation, error) {
	if len(data) > MaxSize {
		return nil, &ParseError{Offset: MaxSize, Msg: fmt.Sprintf("derivation is larger than %d bytes", MaxSize)}
	}
	p := parser{s: string(data), dir: dir}
	d, err := p.derivation()
	if err != nil {
		return nil, err
	}
	return d, nil
}

type parser struct {
	s   string
	pos int
	dir storepath.StoreDir
}

func (p *parser) errorf(at int, format string, args ...any) error {
	return &ParseError{Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) expect(tok string) error {
	if strings.HasPrefix(p.s[p.pos:], tok) {
		p.pos += len(tok)
		return nil
	}
	got := p.s[p.pos:]
	if len(got) > len(tok) {
		got = got[:len(tok)]
	}
	if got == "" {
		return p.errorf(p.pos, "expected %q, got end of input", tok)
	}
	return p.errorf(p.pos, "expected %q, got %q", tok, got)
}

// endOfList consumes a ',' (more elements follow, returns false) or a ']'
// (returns true). first says whether no element has been read yet, where
// neither a ',' is allowed nor needed.
func (p *parser) endOfList(first bool) (bool, error) {
	if p.pos < len(p.s) {
		switch c := p.s[p.pos]; {
		case c == ']':
			p.pos++
			return true, nil
		case c == ',' && !first:
			p.pos++
			return false, nil
		case c == '"' && first, c == '(' && first:
			return false, nil
		}
	}
	if first {
		return false, p.errorf(p.pos, "expected a list element or ']'")
	}
	return false, p.errorf(p.pos, "expected ',' or ']'")
}

// rawString reads a string that Nix writes without escaping (paths, output
// names, hash algorithms, the platform): anything but '"' and '\\'.
func (p *parser) rawString() (string, error) {
	start := p.pos
	if err := p.expect(`"`); err != nil {
		return "", err
	}
	i := strings.IndexAny(p.s[p.pos:], `"\`)
	if i < 0 {
		return "", p.errorf(start, "unterminated string")
	}
	if p.s[p.pos+i] == '\\' {
		return "", p.errorf(p.pos+i, "backslash in a string that Nix writes without escapes")
	}
	v := p.s[p.pos : p.pos+i]
	p.pos += i + 1
	return v, nil
}

// escString reads a string that Nix writes with escapes (builder,
// arguments, environment).
func (p *parser) escString() (string, error) {
	start := p.pos
	if err := p.expect(`"`); err != nil {
		return "", err
	}
	// Fast path: no escapes and no characters Nix would have escaped.
	i := strings.IndexAny(p.s[p.pos:], "\"\\\n\r\t")
	if i < 0 {
		return "", p.errorf(start, "unterminated string")
	}
	if p.s[p.pos+i] == '"' {
		v := p.s[p.pos : p.pos+i]
		p.pos += i + 1
		return v, nil
	}
	var b strings.Builder
	for {
		if p.pos >= len(p.s) {
			return "", p.errorf(start, "unterminated string")
		}
		c := p.s[p.pos]
		switch c {
		case '"':
			p.pos++
			return b.String(), nil
		case '\n', '\r', '\t':
			return "", p.errorf(p.pos, "unescaped %q in a string (Nix writes it escaped)", c)
		case '\\':
			if p.pos+1 >= len(p.s) {
				return "", p.errorf(start, "unterminated string")
			}
			switch e := p.s[p.pos+1]; e {
			case '"', '\\':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				return "", p.errorf(p.pos, "unknown escape %q in a string", "\\"+string(rune(e)))
			}
			p.pos += 2
		default:
			j := strings.IndexAny(p.s[p.pos:], "\"\\\n\r\t")
			if j < 0 {
				return "", p.errorf(start, "unterminated string")
			}
			b.WriteString(p.s[p.pos : p.pos+j])
			p.pos += j
		}
	}
}

// storePath reads a store path in printed form.
func (p *parser) storePath() (string, error) {
	at := p.pos
	s, err := p.rawString()
	if err != nil {
		return "", err
	}
	if _, err := p.dir.ParseCanonical(s); err != nil {
		return "", p.errorf(at+1, "%v", err)
	}
	return s, nil
}

// less checks that the key at offset at sorts after prev.
func (p *parser) ordered(at int, first bool, prev, key, what string) error {
	if first || prev < key {
		return nil
	}
	if prev == key {
		return p.errorf(at, "duplicate %s %q", what, key)
	}
	return p.errorf(at, "%s %q is not in sorted order (after %q)", what, key, prev)
}

// list reads the elements of a list up to its ']' (its '[' read already),
// calling elem for each; first says whether it is the first.
func (p *parser) list(elem func(first bool) error) error {
	for first := true; ; first = false {
		end, err := p.endOfList(first)
		if err != nil {
			return err
		}
		if end {
			return nil
		}
		if err := elem(first); err != nil {
			return err
		}
	}
}

// key reads a map key or set member with read and checks that it sorts
// after *prev, the one before it (if not first), then makes it *prev.
func (p *parser) key(first bool, prev *string, what string, read func() (string, error)) (string, error) {
	at := p.pos
	k, err := read()
	if err != nil {
		return "", err
	}
	if err := p.ordered(at, first, *prev, k, what); err != nil {
		return "", err
	}
	*prev = k
	return k, nil
}

func (p *parser) derivation() (*Derivation, error) {
	d := &Derivation{
		Outputs:   map[string]Output{},
		InputDrvs: map[string][]string{},
		Env:       map[string]string{},
	}
	if err := p.expect("Derive(["); err != nil {
		return nil, err
	}

	// Outputs: ("name","path","hashAlgo","hash").
	prev := ""
	err := p.list(func(first bool) error {
		at := p.pos
		if err := p.expect("("); err != nil {
			return err
		}
		name, err := p.key(first, &prev, "output", p.rawString)
		if err != nil {
			return err
		}
		var o Output
		for _, f := range []*string{&o.Path, &o.HashAlgo, &o.Hash} {
			if err := p.expect(","); err != nil {
				return err
			}
			if *f, err = p.rawString(); err != nil {
				return err
			}
		}
		if err := p.checkOutput(at, name, o); err != nil {
			return err
		}
		d.Outputs[name] = o
		return p.expect(")")
	})
	if err != nil {
		return nil, err
	}

	// Input derivations: ("path",["out",...]).
	if err := p.expect(",["); err != nil {
		return nil, err
	}
	prev = ""
	err = p.list(func(first bool) error {
		if err := p.expect("("); err != nil {
			return err
		}
		drv, err := p.key(first, &prev, "input derivation", p.storePath)
		if err != nil {
			return err
		}
		if err := p.expect(",["); err != nil {
			return err
		}
		outs, err := p.set(false, "output of "+drv)
		if err != nil {
			return err
		}
		d.InputDrvs[drv] = outs
		return p.expect(")")
	})
	if err != nil {
		return nil, err
	}

	// Input sources, platform, builder.
	if err := p.expect(",["); err != nil {
		return nil, err
	}
	if d.InputSrcs, err = p.set(true, "input source"); err != nil {
		return nil, err
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	if d.Platform, err = p.rawString(); err != nil {
		return nil, err
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	if d.Builder, err = p.escString(); err != nil {
		return nil, err
	}

	// Arguments.
	if err := p.expect(",["); err != nil {
		return nil, err
	}
	err = p.list(func(bool) error {
		a, err := p.escString()
		d.Args = append(d.Args, a)
		return err
	})
	if err != nil {
		return nil, err
	}

	// Environment: ("name","value").
	if err := p.expect(",["); err != nil {
		return nil, err
	}
	prev = ""
	err = p.list(func(first bool) error {
		if err := p.expect("("); err != nil {
			return err
		}
		k, err := p.key(first, &prev, "environment variable", p.escString)
		if err != nil {
			return err
		}
		if err := p.expect(","); err != nil {
			return err
		}
		v, err := p.escString()
		if err != nil {
			return err
		}
		d.Env[k] = v
		return p.expect(")")
	})
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if p.pos != len(p.s) {
		return nil, p.errorf(p.pos, "%d unexpected bytes after the derivation", len(p.s)-p.pos)
	}
	return d, nil
}

// set reads the rest of a list of unescaped strings (after its '['),
// sorted and without duplicates; paths says they must be store paths.
func (p *parser) set(paths bool, what string) ([]string, error) {
	read := p.rawString
	if paths {
		read = p.storePath
	}
	var res []string
	prev := ""
	err := p.list(func(first bool) error {
		s, err := p.key(first, &prev, what, read)
		res = append(res, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkOutput validates an output as Nix's parseDerivationOutput does, and
// insists on the canonical form Nix writes.
func (p *parser) checkOutput(at int, name string, o Output) error {
	if name == "" {
		return p.errorf(at, "empty output name")
	}
	bad := func(format string, args ...any) error {
		return p.errorf(at, "output '%s': %s", name, fmt.Sprintf(format, args...))
	}
	if o.HashAlgo == "" {
		if o.Hash != "" {
			return bad("hash %q without a hash algorithm", o.Hash)
		}
		if o.Path != "" {
			if _, err := p.dir.ParseCanonical(o.Path); err != nil {
				return bad("%v", err)
			}
		}
		return nil
	}
	_, algo, err := parseHashAlgo(o.HashAlgo)
	if err != nil {
		return bad("%v", err)
	}
	switch o.Kind() {
	case Fixed:
		if _, err := p.dir.ParseCanonical(o.Path); err != nil {
			return bad("%v", err)
		}
		h, err := nixhash.ParseNonSRIUnprefixed(o.Hash, algo)
		if err != nil {
			return bad("%v", err)
		}
		if h.Base16() != o.Hash {
			return bad("hash %q is not in lower-case base 16", o.Hash)
		}
	case Floating, Impure:
		if o.Path != "" {
			return bad("%s output cannot have a path", o.Kind())
		}
	}
	return nil
}
