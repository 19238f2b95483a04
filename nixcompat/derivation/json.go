package derivation

import (
	"bytes"
	"fmt"
	"io"

	"github.com/govix/govix/nixcompat/storepath"
)

// AppendShowJSON appends the JSON that Nix 2.8's `nix show-derivation`
// prints for the derivations in drvs (keyed by their store paths in dir),
// byte for byte: an object keyed by path in sorted order, indented by two
// spaces, strings escaped as Nix's toJSON does, and a final newline.
//
// As Nix does, the path of a fixed output is recomputed from the expected
// hash and the derivation's name rather than copied from the ATerm.
func AppendShowJSON(b []byte, dir storepath.StoreDir, drvs map[string]*Derivation) ([]byte, error) {
	w := jsonWriter{b: b}
	w.open('{')
	for _, drvPath := range sortedKeys(drvs) {
		d := drvs[drvPath]
		w.key(drvPath)
		w.open('{')

		w.key("outputs")
		w.open('{')
		for _, name := range d.OutputNames() {
			o := d.Outputs[name]
			w.key(name)
			w.open('{')
			switch o.Kind() {
			case InputAddressed:
				w.key("path")
				w.str(o.Path)
			case Fixed:
				drvName, err := NameFromPath(drvPath)
				if err != nil {
					return b, err
				}
				m, fh, err := o.FixedHash()
				if err != nil {
					return b, fmt.Errorf("%s: output '%s': %w", drvPath, name, err)
				}
				p, err := dir.MakeFixedOutputPath(m, fh, storepath.OutputPathName(drvName, name), nil, false)
				if err != nil {
					return b, err
				}
				w.key("path")
				w.str(dir.Print(p))
				w.key("hashAlgo")
				w.str(o.HashAlgo)
				w.key("hash")
				w.str(fh.Base16())
			case Floating:
				w.key("hashAlgo")
				w.str(o.HashAlgo)
			case Impure:
				w.key("hashAlgo")
				w.str(o.HashAlgo)
				w.key("impure")
				w.raw("true")
			}
			w.close('}')
		}
		w.close('}')

		w.key("inputSrcs")
		w.open('[')
		for _, s := range d.InputSrcs {
			w.elem()
			w.str(s)
		}
		w.close(']')

		w.key("inputDrvs")
		w.open('{')
		for _, p := range sortedKeys(d.InputDrvs) {
			w.key(p)
			w.open('[')
			for _, o := range d.InputDrvs[p] {
				w.elem()
				w.str(o)
			}
			w.close(']')
		}
		w.close('}')

		w.key("system")
		w.str(d.Platform)
		w.key("builder")
		w.str(d.Builder)

		w.key("args")
		w.open('[')
		for _, a := range d.Args {
			w.elem()
			w.str(a)
		}
		w.close(']')

		w.key("env")
		w.open('{')
		for _, k := range sortedKeys(d.Env) {
			w.key(k)
			w.str(d.Env[k])
		}
		w.close('}')

		w.close('}')
	}
	w.close('}')
	w.b = append(w.b, '\n')
	return w.b, nil
}

// WriteShowJSON writes AppendShowJSON's output to out.
func WriteShowJSON(out io.Writer, dir storepath.StoreDir, drvs map[string]*Derivation) error {
	b, err := AppendShowJSON(nil, dir, drvs)
	if err != nil {
		return err
	}
	_, err = out.Write(b)
	return err
}

// jsonWriter reproduces Nix 2.8's JSONWriter with indentation on: every
// member or element on its own line, two spaces per level, "key": value,
// and empty containers as {} or [].
type jsonWriter struct {
	b     []byte
	depth int
	first bool // no member written yet in the current container
}

func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

func (w *jsonWriter) close(c byte) {
	w.depth--
	if !w.first {
		w.newline()
	}
	w.b = append(w.b, c)
	w.first = false
}

func (w *jsonWriter) newline() {
	w.b = append(w.b, '\n')
	w.b = append(w.b, bytes.Repeat([]byte{' '}, 2*w.depth)...)
}

// elem starts a list element.
func (w *jsonWriter) elem() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.newline()
}

// key starts an object member.
func (w *jsonWriter) key(k string) {
	w.elem()
	w.str(k)
	w.b = append(w.b, ':', ' ')
}

func (w *jsonWriter) raw(s string) { w.b = append(w.b, s...) }

// str writes a string as Nix's toJSON does: '"' and '\\' and \n \r \t
// escaped by backslash, other bytes below 0x20 as \u00XX, and everything
// else (including bytes that are not UTF-8) as is.
func (w *jsonWriter) str(s string) {
	const hex = "0123456789abcdef"
	b := append(w.b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	w.b = append(b, '"')
}
