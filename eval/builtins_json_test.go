package eval

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

var jsonCases = []nixCase{
	// fromJSON: numbers as nlohmann reads them.
	{expr: `builtins.fromJSON "[1, -2, 1.0, 1E2, -0, -0.0, 0.5e-1, 1.5e-400]"`, want: `[ 1 -2 1 100 0 -0 0.05 0 ]`},
	{expr: `builtins.fromJSON "9223372036854775807"`, want: `9223372036854775807`},
	{expr: `builtins.fromJSON "-9223372036854775808"`, want: `-9223372036854775808`},
	{expr: `builtins.fromJSON "-9223372036854775809"`, want: `-9.22337e+18`},
	{expr: `builtins.fromJSON "123456789012345678901234567890"`, want: `1.23457e+29`},
	{expr: `builtins.fromJSON "18446744073709551615"`, err: `unsigned json number 18446744073709551615 outside of Nix integer range`, newer: true},
	{expr: `builtins.fromJSON "1e999"`, err: `[json.exception.out_of_range.406] number overflow parsing '1e999'`},
	// Strings and escapes.
	{expr: `builtins.fromJSON ''"\ud83d\ude00 \u00e9\u2192 \"\\\/\b\f\n\r\t"''`, want: "\"😀 é→ \\\"\\\\/\b\f\\n\\r\\t\""},
	{expr: `builtins.fromJSON ''"a\u0000b"''`, err: `input string 'a␀b' cannot be represented as Nix string because it contains null bytes`, newer: true},
	{expr: `builtins.fromJSON ''{"a\u0000b": 1}''`, err: `input string 'a␀b' cannot be represented as Nix string because it contains null bytes`, newer: true},
	{expr: `builtins.fromJSON ''"\ud800"''`, err: `[json.exception.parse_error.101] parse error at line 1, column 8: syntax error while parsing value - invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: '"\ud800"'`},
	{expr: `builtins.fromJSON ''"\udc00x"''`, err: `[json.exception.parse_error.101] parse error at line 1, column 7: syntax error while parsing value - invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF; last read: '"\udc00'`},
	{expr: `builtins.fromJSON ''"\u12"''`, err: `[json.exception.parse_error.101] parse error at line 1, column 6: syntax error while parsing value - invalid string: '\u' must be followed by 4 hex digits; last read: '"\u12"'`},
	{expr: `builtins.fromJSON "\"a\tb\""`, err: `[json.exception.parse_error.101] parse error at line 1, column 3: syntax error while parsing value - invalid string: control character U+0009 (HT) must be escaped to \u0009 or \t; last read: '"a<U+0009>'`},
	// Objects: sorted, the last of duplicate keys wins.
	{expr: `builtins.fromJSON ''{"b": [true, false, null], "a": {}, "a": {"c": "d"}, "": 1}''`, want: `{ "" = 1; a = { c = "d"; }; b = [ true false null ]; }`},
	{expr: `builtins.fromJSON " [ ] "`, want: `[ ]`},
	// Syntax errors, with nlohmann's positions and excerpts.
	{expr: `builtins.fromJSON ""`, err: `[json.exception.parse_error.101] parse error at line 1, column 1: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal`},
	{expr: `builtins.fromJSON "[1, nul"`, err: `[json.exception.parse_error.101] parse error at line 1, column 8: syntax error while parsing value - invalid literal; last read: '1, nul'`},
	{expr: `builtins.fromJSON "[1,\n  2,\n x]"`, err: `[json.exception.parse_error.101] parse error at line 3, column 2: syntax error while parsing value - invalid literal; last read: '2,<U+000A> x'`},
	{expr: `builtins.fromJSON "{\"a\":1,}"`, err: `[json.exception.parse_error.101] parse error at line 1, column 8: syntax error while parsing object key - unexpected '}'; expected string literal`},
	{expr: `builtins.fromJSON "{\"a\" 1}"`, err: `[json.exception.parse_error.101] parse error at line 1, column 6: syntax error while parsing object separator - unexpected number literal; expected ':'`},
	{expr: `builtins.fromJSON "{\"a\":1]"`, err: `[json.exception.parse_error.101] parse error at line 1, column 7: syntax error while parsing object - unexpected ']'; expected '}'`},
	{expr: `builtins.fromJSON "[1 2]"`, err: `[json.exception.parse_error.101] parse error at line 1, column 4: syntax error while parsing array - unexpected number literal; expected ']'`},
	{expr: `builtins.fromJSON "true false"`, err: `[json.exception.parse_error.101] parse error at line 1, column 10: syntax error while parsing value - unexpected false literal; expected end of input`},
	{expr: `builtins.fromJSON "01"`, err: `[json.exception.parse_error.101] parse error at line 1, column 2: syntax error while parsing value - unexpected number literal; expected end of input`},
	{expr: `builtins.fromJSON "[1e+]"`, err: `[json.exception.parse_error.101] parse error at line 1, column 5: syntax error while parsing value - invalid number; expected digit after exponent sign; last read: '1e+]'`},
	{expr: `builtins.fromJSON "[-]"`, err: `[json.exception.parse_error.101] parse error at line 1, column 3: syntax error while parsing value - invalid number; expected digit after '-'; last read: '-]'`},
	{expr: `builtins.fromJSON "\"abc"`, err: `[json.exception.parse_error.101] parse error at line 1, column 5: syntax error while parsing value - invalid string: missing closing quote; last read: '"abc'`},
	{expr: `builtins.fromJSON 1`, err: `expected a string but found an integer: 1`},

	// toJSON (current Nix's output: nlohmann's float and escape rules,
	// where Nix 2.8 printed floats with 6 digits).
	{expr: `builtins.toJSON { b = [ 1 true null "x" ]; a = { }; "c d" = -5; }`, want: `"{\"a\":{},\"b\":[1,true,null,\"x\"],\"c d\":-5}"`},
	{expr: `builtins.toJSON "quote \" backslash \\ nl \n tab \t cr \r é"`, want: `"\"quote \\\" backslash \\\\ nl \\n tab \\t cr \\r é\""`},
	{expr: `builtins.toJSON [ 1.44 0.1 1.0e21 ]`, want: `"[1.44,0.1,1e+21]"`},
	{expr: `builtins.toJSON [ (1.0 / 3) 100.0 ]`, want: `"[0.3333333333333333,100.0]"`, newer: true},
	{expr: `builtins.toJSON { outPath = "/x"; a = 1; }`, want: `"\"/x\""`},
	{expr: `builtins.toJSON { __toString = s: "str"; }`, want: `"\"str\""`},
	{expr: `builtins.toJSON (x: x)`, err: `cannot convert a function to JSON`},
	{expr: `builtins.fromJSON (builtins.toJSON { a = [ 1 2.5 "x\ny" { } ]; })`, want: `{ a = [ 1 2.5 "x\ny" { } ]; }`},
}

func TestJSONBuiltins(t *testing.T) {
	runNixCases(t, t.TempDir(), jsonCases, Options{IO: &MemIO{}})
}

// TestFromJSONBOM: a byte order mark is skipped, a broken one is an error.
func TestFromJSONBOM(t *testing.T) {
	ev := New(Options{IO: &MemIO{}})
	if v, err := parseJSON(ev, "\xef\xbb\xbf[1]"); err != nil || len(v.(*List).elems) != 1 {
		t.Errorf("BOM: %v %v", v, err)
	}
	_, err := parseJSON(ev, "\xef\xbb1")
	want := "[json.exception.parse_error.101] parse error at line 1, column 3: syntax error while parsing value - invalid BOM; must be 0xEF 0xBB 0xBF if given; last read: '\xef\xbb1'"
	if err == nil || err.msg != want {
		t.Errorf("broken BOM: got %v, want %s", err, want)
	}
}

func TestJSONBuiltinsMatchNix(t *testing.T) {
	checkNixCases(t, t.TempDir(), jsonCases)
}

// FuzzFromJSON: any input parses or fails cleanly, never accepts what
// encoding/json rejects, and accepts what encoding/json accepts unless
// nlohmann reads it differently (invalid UTF-8, NUL, huge numbers).
func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, "x", null, true, {"b": false}]}`, `"\ud83d\ude00"`, `[1e999]`, "\xef\xbb\xbf[]", `[[[[[[[]]]]]]]`, `-0.0e+5`} {
		f.Add(s)
	}
	ev := New(Options{IO: &MemIO{}})
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseJSON(ev, s)
		if err != nil {
			if err.msg == "" {
				t.Fatalf("empty error for %q", s)
			}
			if json.Valid([]byte(s)) && utf8.ValidString(s) && !strings.ContainsAny(s, "\x00") &&
				!strings.Contains(err.msg, "out_of_range") && !strings.Contains(err.msg, "null bytes") &&
				!strings.Contains(err.msg, "outside of Nix integer range") && !strings.Contains(err.msg, "surrogate") &&
				!strings.HasPrefix(s, "\xef\xbb\xbf") {
				t.Fatalf("%q: encoding/json accepts it, fromJSON says %s", s, err.msg)
			}
			return
		}
		// A NUL byte ends the input for nlohmann, as the end does.
		text, _, _ := strings.Cut(strings.TrimPrefix(s, "\xef\xbb\xbf"), "\x00")
		if !json.Valid([]byte(text)) {
			t.Fatalf("%q: fromJSON accepts it as %v, encoding/json does not", s, v)
		}
	})
}

// jsonDocument is a JSON text of about n bytes: a list of objects.
func jsonDocument(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"name":"package-%d","version":"1.%d.%d","deps":[%d,%d,%d],"score":%d.25,"desc":"a \"quoted\" description\nwith é","ok":true,"meta":null}`,
			i, i%10, i%7, i, i+1, i+2, i%100)
	}
	b.WriteString("]")
	return b.String()
}

func BenchmarkFromJSON(b *testing.B) {
	doc := jsonDocument(10 << 20)
	ev := New(Options{IO: &MemIO{}})
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for range b.N {
		if _, err := parseJSON(ev, doc); err != nil {
			b.Fatal(err.msg)
		}
	}
}
