package serde

import (
	"context"
	"encoding"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/govix/govix/eval"
	"github.com/govix/govix/eval/syntax"
)

// Decoder decodes evaluated Nix values into Go values.
type Decoder struct {
	ev       *eval.Evaluator
	ctx      context.Context
	disallow bool
	rename   func(string) string // file names in positions, as the caller gave them
}

// where is the attribute path being decoded and the closest known
// position, for errors.
type where struct {
	path string
	pos  syntax.Pos
}

func (w where) attr(name string, pos syntax.Pos) where {
	p := name
	if !isIdent(name) {
		p = strconv.Quote(name)
	}
	if w.path != "" {
		p = w.path + "." + p
	}
	if !pos.IsValid() {
		pos = w.pos
	}
	return where{path: p, pos: pos}
}

func (w where) index(i int) where {
	return where{path: w.path + "[" + strconv.Itoa(i) + "]", pos: w.pos}
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '\'')) {
			return false
		}
	}
	return true
}

func (d *Decoder) posString(p syntax.Pos) string {
	if !p.IsValid() {
		return ""
	}
	pos := d.ev.Position(p)
	if d.rename != nil {
		pos.Filename = d.rename(pos.Filename)
	}
	return pos.String()
}

func (d *Decoder) fail(w where, format string, args ...any) error {
	return &Error{Pos: d.posString(w.pos), Path: w.path, Msg: fmtErr(format, args...)}
}

func (d *Decoder) evalFail(w where, err error) error {
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return &Error{Pos: d.posString(w.pos), Path: w.path, Err: err}
}

var (
	valueType           = reflect.TypeFor[eval.Value]()
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	defaulterType       = reflect.TypeFor[Defaulter]()
)

func (d *Decoder) decodeRoot(val eval.Value, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("serde: Decode needs a non-nil pointer, not " + reflect.TypeOf(v).String())
	}
	return d.decode(val, rv.Elem(), where{})
}

// decode decodes val into the settable rv.
func (d *Decoder) decode(val eval.Value, rv reflect.Value, w where) error {
	if rv.Type() == valueType {
		rv.Set(reflect.ValueOf(&val).Elem())
		return nil
	}
	fv, err := d.ev.Force(d.ctx, val)
	if err != nil {
		return d.evalFail(w, err)
	}
	if _, isNull := fv.(eval.Null); isNull {
		switch rv.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			rv.SetZero()
		}
		return nil
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		return d.decode(fv, rv.Elem(), w)
	}
	// A TextUnmarshaler takes a string (a struct or map implementing it
	// may still be decoded from a set).
	if rv.CanAddr() && rv.Addr().Type().Implements(textUnmarshalerType) {
		if s, ok := stringOf(fv); ok {
			if err := rv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
				return d.fail(w, "%v", err)
			}
			return nil
		}
		if k := rv.Kind(); k != reflect.Struct && k != reflect.Map {
			return d.fail(w, "expected a string, got %s", eval.ShowType(fv))
		}
	}
	if rv.Type() == durationType {
		s, ok := stringOf(fv)
		if !ok {
			return d.fail(w, "expected a duration string such as \"1m30s\", got %s", eval.ShowType(fv))
		}
		dur, err := time.ParseDuration(s)
		if err != nil {
			return d.fail(w, "%v", err)
		}
		rv.SetInt(int64(dur))
		return nil
	}
	switch rv.Kind() {
	case reflect.Interface:
		if rv.NumMethod() != 0 {
			return d.fail(w, "cannot decode into %s", rv.Type())
		}
		g, err := d.ev.ToGo(d.ctx, fv)
		if err != nil {
			return d.evalFail(w, err)
		}
		if g == nil {
			rv.SetZero()
		} else {
			rv.Set(reflect.ValueOf(g))
		}
	case reflect.Bool:
		b, ok := fv.(eval.Bool)
		if !ok {
			return d.fail(w, "expected a Boolean, got %s", eval.ShowType(fv))
		}
		rv.SetBool(bool(b))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := fv.(eval.Int)
		if !ok {
			return d.fail(w, "expected an integer, got %s", eval.ShowType(fv))
		}
		if rv.OverflowInt(int64(n)) {
			return d.fail(w, "%d does not fit in %s", n, rv.Type())
		}
		rv.SetInt(int64(n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := fv.(eval.Int)
		if !ok {
			return d.fail(w, "expected an integer, got %s", eval.ShowType(fv))
		}
		if n < 0 || rv.OverflowUint(uint64(n)) {
			return d.fail(w, "%d does not fit in %s", n, rv.Type())
		}
		rv.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := fv.(type) {
		case eval.Float:
			f = float64(x)
		case eval.Int:
			f = float64(x)
		default:
			return d.fail(w, "expected a float, got %s", eval.ShowType(fv))
		}
		if rv.Kind() == reflect.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return d.fail(w, "%g does not fit in %s", f, rv.Type())
		}
		rv.SetFloat(f)
	case reflect.String:
		s, ok := stringOf(fv)
		if !ok {
			return d.fail(w, "expected a string, got %s", eval.ShowType(fv))
		}
		rv.SetString(s)
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if s, ok := stringOf(fv); ok {
				rv.SetBytes([]byte(s))
				return nil
			}
		}
		l, ok := fv.(*eval.List)
		if !ok {
			return d.fail(w, "expected a list, got %s", eval.ShowType(fv))
		}
		s := reflect.MakeSlice(rv.Type(), l.Len(), l.Len())
		for i, e := range l.Elems() {
			if err := d.decode(e, s.Index(i), w.index(i)); err != nil {
				return err
			}
		}
		rv.Set(s)
	case reflect.Array:
		l, ok := fv.(*eval.List)
		if !ok {
			return d.fail(w, "expected a list, got %s", eval.ShowType(fv))
		}
		if l.Len() > rv.Len() {
			return d.fail(w, "expected at most %d elements, got %d", rv.Len(), l.Len())
		}
		for i := range rv.Len() {
			if i >= l.Len() {
				rv.Index(i).SetZero()
				continue
			}
			if err := d.decode(l.Index(i), rv.Index(i), w.index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		a, ok := fv.(*eval.Attrs)
		if !ok {
			return d.fail(w, "expected a set, got %s", eval.ShowType(fv))
		}
		return d.decodeMap(a, rv, w)
	case reflect.Struct:
		a, ok := fv.(*eval.Attrs)
		if !ok {
			return d.fail(w, "expected a set, got %s", eval.ShowType(fv))
		}
		return d.decodeStruct(a, rv, w)
	default:
		return d.fail(w, "cannot decode into %s", rv.Type())
	}
	return nil
}

func stringOf(v eval.Value) (string, bool) {
	switch x := v.(type) {
	case *eval.String:
		return x.String(), true
	case eval.Path:
		return string(x), true
	}
	return "", false
}

func (d *Decoder) decodeMap(a *eval.Attrs, rv reflect.Value, w where) error {
	t := rv.Type()
	kt := t.Key()
	keyFromText := reflect.PointerTo(kt).Implements(textUnmarshalerType)
	if kt.Kind() != reflect.String && !keyFromText {
		return d.fail(w, "cannot decode a set into %s: its keys are not strings", t)
	}
	if rv.IsNil() {
		rv.Set(reflect.MakeMapWithSize(t, a.Len()))
	}
	for name, val := range d.ev.Each(a) {
		at, _ := d.ev.Lookup(a, name)
		aw := w.attr(name, at.Pos)
		k := reflect.New(kt).Elem()
		if keyFromText {
			if err := k.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(name)); err != nil {
				return d.fail(aw, "%v", err)
			}
		} else {
			k.SetString(name)
		}
		e := reflect.New(t.Elem()).Elem()
		if old := rv.MapIndex(k); old.IsValid() {
			e.Set(old)
		}
		if err := d.decode(val, e, aw); err != nil {
			return err
		}
		rv.SetMapIndex(k, e)
	}
	return nil
}

func (d *Decoder) decodeStruct(a *eval.Attrs, rv reflect.Value, w where) error {
	if rv.CanAddr() && rv.Addr().Type().Implements(defaulterType) {
		rv.Addr().Interface().(Defaulter).SetDefaults()
	}
	fields := fieldsOf(rv.Type())
	used := 0
	for i := range fields.list {
		f := &fields.list[i]
		at, ok := d.lookupField(a, f)
		if !ok {
			if f.required {
				return d.fail(w, "attribute '%s' is required", f.name)
			}
			continue
		}
		used++
		fv, err := fieldByIndex(rv, f.index)
		if err != nil {
			return d.fail(w, "%v", err)
		}
		if err := d.decode(at.Value, fv, w.attr(d.ev.SymName(at.Name), at.Pos)); err != nil {
			return err
		}
	}
	if d.disallow && used < a.Len() {
		for name := range d.ev.Each(a) {
			if fields.find(name) == nil {
				at, _ := d.lookupAttr(a, name)
				msg := fmtErr("unknown attribute '%s'", name)
				if s := closest(name, fields.names()); s != "" {
					msg += fmtErr("; did you mean '%s'?", s)
				}
				e := d.fail(w.attr(name, at.Pos), "%s", msg).(*Error)
				e.Path = w.path
				return e
			}
		}
	}
	return nil
}

// lookupField finds the attribute for a field: its exact name, else one
// that equals it ignoring case.
func (d *Decoder) lookupField(a *eval.Attrs, f *field) (eval.Attr, bool) {
	if at, ok := d.ev.Lookup(a, f.name); ok {
		return at, true
	}
	if f.tagged {
		return eval.Attr{}, false
	}
	for name := range d.ev.Each(a) {
		if strings.EqualFold(name, f.name) {
			return d.ev.Lookup(a, name)
		}
	}
	return eval.Attr{}, false
}

func (d *Decoder) lookupAttr(a *eval.Attrs, name string) (eval.Attr, bool) {
	return d.ev.Lookup(a, name)
}

// fieldByIndex is reflect.Value.FieldByIndex allocating nil embedded
// struct pointers on the way.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, errors.New("cannot set embedded pointer to unexported struct " + v.Type().Elem().String())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

// field is a struct field attributes decode into.
type field struct {
	name      string // the attribute name
	tagged    bool   // named by a tag (matched exactly)
	required  bool
	omitEmpty bool // for ToValue
	index     []int
}

type structFields struct {
	list   []field
	byName map[string]int
}

func (s *structFields) find(attr string) *field {
	if i, ok := s.byName[attr]; ok {
		return &s.list[i]
	}
	for i := range s.list {
		if !s.list[i].tagged && strings.EqualFold(s.list[i].name, attr) {
			return &s.list[i]
		}
	}
	return nil
}

func (s *structFields) names() []string {
	out := make([]string, len(s.list))
	for i, f := range s.list {
		out[i] = f.name
	}
	return out
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf returns the fields of struct type t that attributes decode
// into, with encoding/json's rules for embedded structs: shallower fields
// win, and of several at the same depth a tagged one, else none.
func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	type cand struct {
		field
		depth int
	}
	var all []cand
	var walk func(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, depth int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("nix")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), index...), i)
			ft := sf.Type
			if sf.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, idx, depth+1, seen)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			f := field{name: name, tagged: name != "", index: idx}
			if name == "" {
				f.name = sf.Name
			}
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "required":
					f.required = true
				case "omitempty":
					f.omitEmpty = true
				}
			}
			all = append(all, cand{f, depth})
		}
		delete(seen, t)
	}
	walk(t, nil, 0, map[reflect.Type]bool{})

	// Resolve names defined more than once.
	byName := map[string][]cand{}
	var order []string
	for _, c := range all {
		if _, ok := byName[c.name]; !ok {
			order = append(order, c.name)
		}
		byName[c.name] = append(byName[c.name], c)
	}
	sf := &structFields{byName: map[string]int{}}
	for _, name := range order {
		cs := byName[name]
		best := cs[0]
		ambiguous := false
		for _, c := range cs[1:] {
			switch {
			case c.depth < best.depth || c.depth == best.depth && c.tagged && !best.tagged:
				best, ambiguous = c, false
			case c.depth == best.depth && c.tagged == best.tagged:
				ambiguous = true
			}
		}
		if ambiguous {
			continue
		}
		sf.byName[name] = len(sf.list)
		sf.list = append(sf.list, best.field)
	}
	fieldCache.Store(t, sf)
	return sf
}

// closest returns the name in names nearest to s, if near enough to be
// a likely typo.
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
