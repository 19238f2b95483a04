package derivation

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/govix/govix/nixcompat/storepath"
)

// ATerm returns d in the ATerm form Nix writes to the store.
func (d *Derivation) ATerm() []byte {
	return d.AppendATerm(make([]byte, 0, d.sizeHint()))
}

// AppendATerm appends d's ATerm form to b.
func (d *Derivation) AppendATerm(b []byte) []byte {
	return d.appendATerm(b, false, nil)
}

// WriteTo writes d's ATerm form to w.
func (d *Derivation) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(d.ATerm())
	return int64(n), err
}

// inputDrv is an entry of the input derivations list as written; hash
// modulo replaces the paths by hashes.
type inputDrv struct {
	key     string
	outputs []string
}

func (d *Derivation) sizeHint() int {
	n := 64
	for k, o := range d.Outputs {
		n += len(k) + len(o.Path) + len(o.HashAlgo) + len(o.Hash) + 12
	}
	for k, outs := range d.InputDrvs {
		n += len(k) + 8
		for _, o := range outs {
			n += len(o) + 3
		}
	}
	for _, s := range d.InputSrcs {
		n += len(s) + 3
	}
	n += len(d.Platform) + len(d.Builder)
	for _, a := range d.Args {
		n += len(a) + 3
	}
	for k, v := range d.Env {
		n += len(k) + len(v) + 8
	}
	return n + n/16
}

// appendATerm is Nix's Derivation::unparse. With maskOutputs, output paths
// and the environment variables named after outputs are written empty.
// inputs, when not nil, replaces the input derivations.
func (d *Derivation) appendATerm(b []byte, maskOutputs bool, inputs []inputDrv) []byte {
	b = append(b, "Derive(["...)
	for i, name := range sortedKeys(d.Outputs) {
		o := d.Outputs[name]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		b = appendRaw(b, name)
		b = append(b, ',')
		if maskOutputs {
			b = appendRaw(b, "")
		} else {
			b = appendRaw(b, o.Path)
		}
		b = append(b, ',')
		b = appendRaw(b, o.HashAlgo)
		b = append(b, ',')
		b = appendRaw(b, o.Hash)
		b = append(b, ')')
	}

	b = append(b, "],["...)
	if inputs == nil {
		for i, p := range sortedKeys(d.InputDrvs) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendInput(b, p, d.InputDrvs[p])
		}
	} else {
		for i, in := range inputs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendInput(b, in.key, in.outputs)
		}
	}

	b = append(b, "],"...)
	b = appendRawList(b, d.InputSrcs)
	b = append(b, ',')
	b = appendRaw(b, d.Platform)
	b = append(b, ',')
	b = appendEscaped(b, d.Builder)
	b = append(b, ",["...)
	for i, a := range d.Args {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEscaped(b, a)
	}
	b = append(b, "],["...)
	for i, k := range sortedKeys(d.Env) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		b = appendEscaped(b, k)
		b = append(b, ',')
		if _, isOutput := d.Outputs[k]; maskOutputs && isOutput {
			b = appendEscaped(b, "")
		} else {
			b = appendEscaped(b, d.Env[k])
		}
		b = append(b, ')')
	}
	return append(b, "])"...)
}

func appendInput(b []byte, key string, outputs []string) []byte {
	b = append(b, '(')
	b = appendRaw(b, key)
	b = append(b, ',')
	b = appendRawList(b, outputs)
	return append(b, ')')
}

// appendRaw writes a string in quotes without escaping, as Nix's
// printUnquotedString does for paths, names, hashes and the platform.
func appendRaw(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendRawList(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRaw(b, s)
	}
	return append(b, ']')
}

// appendEscaped writes a string in quotes with Nix's printString escapes.
func appendEscaped(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Normalize sorts and removes duplicates from InputSrcs and the output
// lists of InputDrvs, and makes nil maps empty, so that a Derivation built
// by hand is written in the form Nix writes.
func (d *Derivation) Normalize() {
	if d.Outputs == nil {
		d.Outputs = map[string]Output{}
	}
	if d.InputDrvs == nil {
		d.InputDrvs = map[string][]string{}
	}
	if d.Env == nil {
		d.Env = map[string]string{}
	}
	slices.Sort(d.InputSrcs)
	d.InputSrcs = slices.Compact(d.InputSrcs)
	for k, outs := range d.InputDrvs {
		slices.Sort(outs)
		d.InputDrvs[k] = slices.Compact(outs)
	}
}

// Validate checks that d is a derivation Nix could have written in store
// directory dir: Parse would accept its ATerm and read back the same
// derivation. It catches unsorted sets, invalid store paths, malformed
// outputs, and quotes or backslashes in the strings Nix writes unescaped.
func (d *Derivation) Validate(dir storepath.StoreDir) error {
	back, err := ParseIn(dir, d.ATerm())
	if err != nil {
		return err
	}
	if !d.Equal(back) {
		// Only strings Nix writes without escaping can do this, by
		// containing a quote that shifts the fields.
		return fmt.Errorf("derivation does not survive writing and reading back: a path, output name, hash or platform contains '\"'")
	}
	return nil
}

// Equal reports whether d and e are the same derivation; nil and empty
// maps and slices are equal.
func (d *Derivation) Equal(e *Derivation) bool {
	if !maps.Equal(d.Outputs, e.Outputs) || !maps.Equal(d.Env, e.Env) ||
		!slices.Equal(d.InputSrcs, e.InputSrcs) || !slices.Equal(d.Args, e.Args) ||
		d.Platform != e.Platform || d.Builder != e.Builder || len(d.InputDrvs) != len(e.InputDrvs) {
		return false
	}
	for k, v := range d.InputDrvs {
		w, ok := e.InputDrvs[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}
