package nixbuild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/govix/govix/nixcompat/nixjson"
)

// Structured attributes travel as JSON in the derivation's "__json"
// variable. Nix parses that JSON with nlohmann::json, adds "outputs", and
// dumps it again into .attrs.json, so the file's bytes are nlohmann's
// serialisation: keys sorted bytewise, no spaces, integers as integers,
// floats in their shortest form with ".0" or an exponent. These types
// keep what nlohmann keeps of a parsed value.

// jsonValue is one of: nil, bool, string, int64, uint64, float64,
// []jsonValue, jsonObject.
type jsonValue = any

// jsonObject is a JSON object; keys are written sorted.
type jsonObject map[string]jsonValue

// parseJSON parses JSON as nlohmann::json does: integers that fit an
// int64 are signed, larger positive ones unsigned, the rest floats.
func parseJSON(data []byte) (jsonValue, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("invalid UTF-8 in JSON")
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return convertJSON(v)
}

func convertJSON(v any) (jsonValue, error) {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return u, nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		if math.IsInf(f, 0) {
			return nil, fmt.Errorf("number %s is out of range", s)
		}
		return f, nil
	case []any:
		out := make([]jsonValue, len(x))
		for i, e := range x {
			c, err := convertJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(jsonObject, len(x))
		for k, e := range x {
			c, err := convertJSON(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	}
	return v, nil // nil, bool, string
}

// dumpJSON serialises v as nlohmann::json's dump() does.
func dumpJSON(b []byte, v jsonValue) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendJSONString(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		return append(b, nixjson.FormatFloat(x)...)
	case []jsonValue:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = dumpJSON(b, e)
		}
		return append(b, ']')
	case jsonObject:
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = dumpJSON(b, x[k])
		}
		return append(b, '}')
	}
	panic(fmt.Sprintf("nixbuild: unexpected JSON value %T", v))
}

// appendJSONString escapes like nlohmann::json with ensure_ascii off:
// quote, backslash and control characters only (the input is valid UTF-8).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// attrsShell is Nix's writeStructuredAttrsShell: the attributes bash can
// hold (strings, integral numbers, null, Booleans, and arrays and objects
// of those) as declare statements, in key order.
func attrsShell(attrs jsonObject) []byte {
	var b []byte
	for _, key := range slices.Sorted(maps.Keys(attrs)) {
		if !isShellVarName(key) {
			continue
		}
		v := attrs[key]
		if s, ok := shellSimple(v); ok {
			b = fmt.Appendf(b, "declare %s=%s\n", key, s)
			continue
		}
		switch x := v.(type) {
		case []jsonValue:
			var items []byte
			good := true
			for _, e := range x {
				s, ok := shellSimple(e)
				if !ok {
					good = false
					break
				}
				items = append(append(items, s...), ' ')
			}
			if good {
				b = fmt.Appendf(b, "declare -a %s=(%s)\n", key, items)
			}
		case jsonObject:
			var items []byte
			good := true
			for _, k2 := range slices.Sorted(maps.Keys(x)) {
				s, ok := shellSimple(x[k2])
				if !ok {
					good = false
					break
				}
				items = fmt.Appendf(items, "[%s]=%s ", shellEscape(k2), s)
			}
			if good {
				b = fmt.Appendf(b, "declare -A %s=(%s)\n", key, items)
			}
		}
	}
	return b
}

// isShellVarName matches [A-Za-z_][A-Za-z0-9_]*.
func isShellVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !alpha && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// shellSimple renders a value bash can hold in a variable, as Nix's
// handleSimpleType: a number counts when its single-precision value is
// integral, and is then printed as a C int (nlohmann's get<int>: an
// integer's low 32 bits, a float truncated, INT_MIN when out of range).
func shellSimple(v jsonValue) (string, bool) {
	switch x := v.(type) {
	case string:
		return shellEscape(x), true
	case nil:
		return "''", true
	case bool:
		if x {
			return "1", true
		}
		return "", true
	case int64:
		if f := float32(x); float32(math.Ceil(float64(f))) == f {
			return strconv.Itoa(int(int32(x))), true
		}
	case uint64:
		if f := float32(x); float32(math.Ceil(float64(f))) == f {
			return strconv.Itoa(int(int32(x))), true
		}
	case float64:
		f := float32(x)
		if float32(math.Ceil(float64(f))) != f {
			return "", false
		}
		if x >= -2147483648.0 && x < 2147483648.0 {
			return strconv.Itoa(int(int32(x))), true
		}
		return "-2147483648", true // cvttsd2si's "integer indefinite"
	}
	return "", false
}

// shellEscape quotes s for a POSIX shell as Nix does.
func shellEscape(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
