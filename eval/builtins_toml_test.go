package eval

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govix/govix/internal/testutil"
)

// tomlDocs are TOML documents, valid and not, compared with Nix 2.8 by
// TestFromTOMLMatchesNix (the value, or the first line of the error).
var tomlDocs = []string{
	"a = 1", `a = "x"`, `a = 'lit'`, "a = \"\"\"\nml\nbasic\"\"\"", "a = '''\nml lit'''",
	"a = \"\"\"a\\\n   b\"\"\"", `a = """ends with quote""""`, `a = """ends with 2 quotes"""""`, `a = """six""""""`,
	`a = "\u00e9\U0001F600"`, `a = "\ud800"`, `a = "\U00110000"`, "a = \"tab\tin\"", "a = \"ctl\x01\"",
	"a = \"cr\rlf\"", "a = \"\"\"cr\r\nlf\"\"\"", "a = '''a\rb'''", "a = 'a\x7f'",
	"a = 0x7fffffffffffffff", "a = 0o777", "a = 0b101", "a = 0b", "a = 1__0", "a = 1_0_0",
	"a = -0", "a = +0", "a = 00", "a = 1.5", "a = 1e5", "a = 1.e5", "a = 1.0e", "a = -inf", "a = +nan",
	"a = infinity", "a = true", "a = tru", "a = truex", "a = [1, 2, 3,]", "a = [ ]", "a = [ , ]", "a = [1 2]",
	"a = [\n  1, # c\n  2\n]", "a = [1, \"x\", [2], {b = 3}]", "a = { }", "a = {a=1,}", "a = {a=1, b.c=2}", "a = {a = {b = 1}, a.c = 2}",
	"a = {a = 1\n}", "a = {a = 1 # c\n}", "a = {a = 1 b = 2}", "a = {a = 1", "a = [1",
	"a.b = 1\na.c = 2", "a.b = 1\na.b.c = 2", "a = 1\n[a]", "[a]\nb=1\n[a]\nc=2", "[a.b]\nc=1\n[a]\nd=2",
	"[a]\nb.c=1\n[a.b]\nd=2", "[a]\nb.c=1\n[a.b.c]\nd=2", "a = {b=1}\n[a]", "a = [{b=1}]\n[[a]]\nc=2",
	"[[a]]\nb=1\n[a]", "[[a]]\nb=1\n[[a.c]]\nd=1\n[[a]]\ne=2", "a = []\n[[a]]\nb = 1", "[a]\nb = 1\n[[a]]",
	"[a.b]\nc = 1\n[[a]]", "[[a]]\nx=1\n[a.b]\ny=2", "[[a]]\nx=1\n[a.b]\ny=2\n[a.b]\nz=3", "a.b = 1\n[a]\nc = 2",
	"[a.b.c]\n[a]\nb.d = 1", "a = 1\na.b = 2", "a = [1]\n[a.b]",
	"\"a.b\" = 1\n'c d' = 2\n\"\" = 3", " a = 1", "a=1 b=2", "a = 1 # comment", "# only comment", "= 1", "a. = 1",
	"a b = 1", "[a", "[a]b", "[ a . b ]", "[[ a ]]", "[[a]", "[a] # c", "[a] x", "[[a]] x",
	"a = 1979-05-27", "a = 1979-05-27T07:32:00Z", "a = 1979-05-27 07:32", "a = 1979-05-27T7:32:00",
	"a = 1979-05-27 7:32:00", "a = 1979-05-27T07:32:00+9:00", "a = 1979-02-29", "a = 2000-02-29",
	"a = 1979-13-01", "a = 25:00:00", "a = 12:00", "a = 00:00:60", "a = 1979-05-27 07:32:00+24:00",
	`a = "é"`, `a = 'é'`, "a = \"\xff\"", "a = '\xc3'", "# \xff\na = 1", `a = "\x"`, `a = "\e"`,
	"a = 1_000_000.5_5", "a = 3.14_", "a = _1", "a = .1", "a = 0123", "a = 0a", "a = -0x1", "a = 0x_1", "a = 0o8",
	"b = [1,[2,[3,{a=[4]}]]]", `a = "\b\f\n\r\t\"\\"`, "a = 9223372036854775807", "a = -9223372036854775808",
	"a = 1e310", "a = -1e310", "a = 5e-324", "a = 1e-400", "a = 0.1", "a = 1e+22",
	"\xef\xbb\xbfa = 1", "a = 1\r\nb = 2\r\n", "a = 1\r", "", "\n\n", "a = 1\n\n[t]\n\n# c\nb = 2\n",
	"[a]\n[b]\n[a.c]", "a = \"\"\"\\ \n  x\"\"\"", "a = \"\"\"\\x\"\"\"", "k = 'a''", "k = '''a''''", "k = '''a'''''",
	"[\"x\".'y'.z]\nw = 1", "1 = 2", "-_ = 3", "a.\"b\".c = 1", "a = [[1], ['x']]",
}

// tomlFirstLineOnly are documents whose error toml11 3.7 builds from a
// buffer it has let go of: what Nix 2.8 prints depends on the allocator
// (on some machines "basic_string::_M_create"), so only the failure and the
// first line of govix's own message are checked.
var tomlFirstLineOnly = map[string]bool{"a = '\xc3'": true}

// tomlCrashes are documents that crash Nix 2.8 (toml11 3.7 takes the
// last element of an empty array); they are errors here.
var tomlCrashes = []string{"a = []\na.b = 1", "a = []\n[a.b]"}

// tomlNewer are documents where current Nix, following the corpus,
// differs from Nix 2.8 on purpose.
var tomlNewer = []string{
	"a = 0x8000000000000000", "a = 9223372036854775808", "a = -9223372036854775809",
	"a = 0xffffffffffffffffff", "a = 0b11111111111111111111111111111111111111111111111111111111111111111",
	"a = 0o7777777777777777777777", `a = "\u0000"`, `"\u0000" = 1`,
}

func tomlResult(t *testing.T, ev *Evaluator, doc string) string {
	t.Helper()
	ev.opts.IO = &MemIO{Files: map[string]string{"/d/doc.toml": doc}}
	ev.io = ev.opts.IO
	got, err := evalIn(ev, "/d", `builtins.fromTOML (builtins.readFile ./doc.toml)`)
	if err != nil {
		return tomlErrorText(err.(*Error).Msg)
	}
	return got
}

// tomlErrorText is a fromTOML error message without the "while parsing
// ..." prefix, which differs between Nix versions, and trailing spaces.
func tomlErrorText(msg string) string {
	msg = strings.TrimPrefix(msg, "while parsing TOML: ")
	msg = strings.TrimPrefix(msg, "while parsing a TOML string: ")
	// Nix drops carriage returns when it prints messages.
	msg = strings.ReplaceAll(msg, "\r", "")
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return "error: " + strings.Join(lines, "\n")
}

// nixErrorMessage extracts the message of a nix-instantiate error from
// its standard error: the lines after "error: " up to the position of
// the call, unindented.
func nixErrorMessage(stderr string) string {
	msg := strings.TrimPrefix(stderr, "error: ")
	if i := strings.Index(msg, "\n\n       at «string»"); i >= 0 {
		msg = msg[:i]
	}
	lines := strings.Split(msg, "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.TrimPrefix(lines[i], "       ")
	}
	return tomlErrorText(strings.Join(lines, "\n"))
}

func TestFromTOMLMatchesNix(t *testing.T) {
	testutil.RequireNix(t)
	dir := t.TempDir()
	ev := New(Options{})
	for _, doc := range tomlDocs {
		if err := os.WriteFile(filepath.Join(dir, "doc.toml"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("nix-instantiate", "--eval", "--strict", "-E", `builtins.fromTOML (builtins.readFile ./doc.toml)`)
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		want := strings.TrimSuffix(string(out), "\n")
		if err != nil {
			want = nixErrorMessage(stderr.String())
		}
		got := tomlResult(t, ev, doc)
		if tomlFirstLineOnly[doc] {
			if err == nil || !strings.HasPrefix(got, "error: ") {
				t.Errorf("%q: want an error from both, govix %s, Nix 2.8 %s", doc, got, want)
			}
			continue
		}
		if got != want {
			t.Errorf("%q:\n  govix %s\nNix 2.8 %s", doc, got, want)
		}
	}
}

// TestFromTOMLNewer checks what current Nix does differently from Nix 2.8
// (and the corpus shows): big integers and NUL bytes are errors, and dates
// become timestamps under parse-toml-timestamps.
func TestFromTOMLNewer(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"a = 9223372036854775808", "error: [error] toml::parse_dec_integer: too large integer: current max digits = 2^63\n --> fromTOML\n   |\n 1 | a = 9223372036854775808\n   |                        ^-- must be < 2^63"},
		{"a = -9223372036854775809", "error: [error] toml::parse_dec_integer: too large integer: current max digits = 2^63\n --> fromTOML\n   |\n 1 | a = -9223372036854775809\n   |                         ^-- must be < 2^63"},
		{"a = 0x8000000000000000", "error: [error] toml::parse_hex_integer: too large integer: current max value = 2^63\n --> fromTOML\n   |\n 1 | a = 0x8000000000000000\n   |                       ^-- must be < 2^63"},
		{"a = 0b1" + strings.Repeat("0", 63), "error: [error] toml::parse_bin_integer: too large integer: current max value = 2^63\n --> fromTOML\n   |\n 1 | a = 0b1" + strings.Repeat("0", 63) + "\n   |" + strings.Repeat(" ", 71) + "^-- must be < 2^63"},
		{`a = "\u0000"`, "error: error: input string '␀' cannot be represented as Nix string because it contains null bytes"},
		{`"a\u0000b" = 1`, "error: error: input string 'a␀b' cannot be represented as Nix string because it contains null bytes"},
		{"a = []\na.b = 1", "error: [error] toml::insert_value: target (a) is neither table nor an array of tables\n --> fromTOML\n   |\n 1 | a = []\n   |     ~~ actual type is array\n ...\n 2 | a.b = 1\n   |       ^--- inserting this"},
		{"a = 1979-05-27", "error: Dates and times are not supported"},
	}
	ev := New(Options{})
	for _, c := range cases {
		if got := tomlResult(t, ev, c.doc); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.doc, got, c.want)
		}
	}
	for _, doc := range append(tomlNewer, tomlCrashes...) {
		if got := tomlResult(t, ev, doc); !strings.HasPrefix(got, "error: ") {
			t.Errorf("%q: got %s, want an error", doc, got)
		}
	}
	ev = New(Options{ExperimentalFeatures: []string{"parse-toml-timestamps"}})
	for doc, want := range map[string]string{
		"a = 1979-05-27T07:32:00.1z":         `{ a = { _type = "timestamp"; value = "1979-05-27T07:32:00.100Z"; }; }`,
		"a = 1979-05-27 07:32:00.1234-00:00": `{ a = { _type = "timestamp"; value = "1979-05-27T07:32:00.123400Z"; }; }`,
		"a = 1979-05-27t07:32:00+05:30":      `{ a = { _type = "timestamp"; value = "1979-05-27T07:32:00+05:30"; }; }`,
		"a = 00:32:00.1234567891":            `{ a = { _type = "timestamp"; value = "00:32:00.123456789"; }; }`,
		"a = 1979-05-27":                     `{ a = { _type = "timestamp"; value = "1979-05-27"; }; }`,
	} {
		if got := tomlResult(t, ev, doc); got != want {
			t.Errorf("%q with timestamps:\n got %s\nwant %s", doc, got, want)
		}
	}
}

// FuzzFromTOML: any input parses or fails with a message, without
// panicking or hanging.
func FuzzFromTOML(f *testing.F) {
	for _, d := range tomlDocs {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseTOML(s)
		if err != nil {
			if err.msg == "" {
				t.Fatalf("%q: empty error", s)
			}
			return
		}
		if v == nil || v.typ != tomlTable {
			t.Fatalf("%q: no table", s)
		}
	})
}
