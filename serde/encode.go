package serde

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/govix/govix/eval"
)

// ToValue converts a Go value to a Nix value of ev, the reverse of
// decoding: nil and nil pointers, maps and slices are null; bools,
// integers, floats and strings are themselves (a time.Duration and an
// encoding.TextMarshaler become strings); slices and arrays are lists;
// maps with string keys and structs are sets (a field is named by its
// tag, else by its name with the first letter lower-cased; "omitempty"
// leaves out zero values); an eval.Value is used as it is.
func ToValue(ev *eval.Evaluator, v any) (eval.Value, error) {
	if v == nil {
		return eval.Null{}, nil
	}
	return toValue(ev, reflect.ValueOf(v), 0)
}

func toValue(ev *eval.Evaluator, rv reflect.Value, depth int) (eval.Value, error) {
	if depth > 1000 {
		return nil, fmt.Errorf("value nested too deeply (a cycle?)")
	}
	if !rv.IsValid() {
		return eval.Null{}, nil
	}
	if rv.Type() == valueType {
		if rv.IsNil() {
			return eval.Null{}, nil
		}
		return rv.Interface().(eval.Value), nil
	}
	switch x := rv.Interface().(type) {
	case time.Duration:
		return eval.Str(x.String()), nil
	case encoding.TextMarshaler:
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return eval.Null{}, nil
		}
		b, err := x.MarshalText()
		if err != nil {
			return nil, err
		}
		return eval.Str(string(b)), nil
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return eval.Null{}, nil
		}
		return toValue(ev, rv.Elem(), depth+1)
	case reflect.Bool:
		return eval.Bool(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return eval.Int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > 1<<63-1 {
			return nil, fmt.Errorf("%d does not fit in a Nix integer", u)
		}
		return eval.Int(int64(u)), nil
	case reflect.Float32, reflect.Float64:
		return eval.Float(rv.Float()), nil
	case reflect.String:
		return eval.Str(rv.String()), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return eval.Null{}, nil
		}
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return eval.Str(string(rv.Bytes())), nil
		}
		elems := make([]eval.Value, rv.Len())
		for i := range elems {
			e, err := toValue(ev, rv.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			elems[i] = e
		}
		return eval.NewList(elems), nil
	case reflect.Map:
		if rv.IsNil() {
			return eval.Null{}, nil
		}
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("cannot convert %s to a set: its keys are not strings", rv.Type())
		}
		m := make(map[string]eval.Value, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			e, err := toValue(ev, it.Value(), depth+1)
			if err != nil {
				return nil, err
			}
			m[it.Key().String()] = e
		}
		return ev.NewAttrs(m), nil
	case reflect.Struct:
		m := map[string]eval.Value{}
		for _, f := range fieldsOf(rv.Type()).list {
			fv, ok := fieldValue(rv, f.index)
			if !ok || f.omitEmpty && fv.IsZero() {
				continue
			}
			e, err := toValue(ev, fv, depth+1)
			if err != nil {
				return nil, err
			}
			name := f.name
			if !f.tagged {
				name = strings.ToLower(name[:1]) + name[1:]
			}
			m[name] = e
		}
		return ev.NewAttrs(m), nil
	}
	return nil, fmt.Errorf("cannot convert %s to a Nix value", rv.Type())
}

// fieldValue follows index, reporting false at a nil embedded pointer.
func fieldValue(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}
