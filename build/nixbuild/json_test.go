package nixbuild

import (
	"strings"
	"testing"
)

func TestParseDumpJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b":1,"a":[true,null,"x"]}`, `{"a":[true,null,"x"],"b":1}`},
		{`{"big":18446744073709551615,"neg":-9223372036854775808,"huge":1e400000000}`, ``},
		{`{"u":18446744073709551615,"n":-9223372036854775809,"f":1.0,"e":1E2}`, `{"e":100.0,"f":1.0,"n":-9.223372036854776e+18,"u":18446744073709551615}`},
		{`{"s":"tab\there \u0001 \"q\" \\ é \u00e9 \ud83d\ude00"}`, `{"s":"tab\there \u0001 \"q\" \\ é é 😀"}`},
		{`{"k":"v"} x`, ``},
	}
	for _, tt := range tests {
		v, err := parseJSON([]byte(tt.in))
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseJSON(%s) accepted", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseJSON(%s): %v", tt.in, err)
			continue
		}
		if got := string(dumpJSON(nil, v)); got != tt.want {
			t.Errorf("dump(parse(%s)) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAttrsShell(t *testing.T) {
	v, err := parseJSON([]byte(`{
		"s": "it's", "n": 42, "big": 12345678901, "f": 2.5, "whole": 3.0, "tiny": 1e-50, "huge": 1e40,
		"t": true, "no": false, "nul": null, "list": [1, "a", null], "mixed": [1, [2]],
		"obj": {"k": "v", "b": true}, "deep": {"x": {}}, "not a var": 1, "9x": 2, "_ok": "y"
	}`))
	if err != nil {
		t.Fatal(err)
	}
	got := string(attrsShell(v.(jsonObject)))
	want := strings.Join([]string{
		"declare _ok='y'",
		"declare big=-539222987",
		"declare -A deep=()",
		"declare huge=-2147483648",
		"declare -a list=(1 'a' '' )",
		"declare n=42",
		"declare no=",
		"declare nul=''",
		"declare -A obj=(['b']=1 ['k']='v' )",
		"declare s='it'\\''s'",
		"declare t=1",
		"declare tiny=0",
		"declare whole=3",
		"",
	}, "\n")
	// deep has an object value: not simple, so it is left out; an
	// object inside an object is not simple either.
	want = strings.Replace(want, "declare -A deep=()\n", "", 1)
	if got != want {
		t.Errorf("attrsShell:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzParseJSON: parsing never panics, and what it accepts dumps to JSON
// that parses to the same dump.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,2.5,"x",null,true],"b":{"c":-1}}`))
	f.Add([]byte(`{"u":18446744073709551615}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseJSON(data)
		if err != nil {
			return
		}
		d := dumpJSON(nil, v)
		v2, err := parseJSON(d)
		if err != nil {
			t.Fatalf("dump %s does not parse: %v", d, err)
		}
		if d2 := dumpJSON(nil, v2); string(d2) != string(d) {
			t.Fatalf("dump not stable: %s then %s", d, d2)
		}
		if o, ok := v.(jsonObject); ok {
			attrsShell(o)
		}
	})
}
