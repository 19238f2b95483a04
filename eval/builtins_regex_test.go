package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govix/govix/internal/testutil"
)

// nixQuote returns s as a Nix string literal.
func nixQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '$':
			b.WriteString(`\$`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// regexCases are patterns and strings with what builtins.match and
// builtins.split give for them in Nix 2.8 (checked by
// TestRegexCasesMatchNix). They pin down libstdc++'s behaviour where it
// differs from POSIX and from Go's regexp.
var regexCases = []struct {
	re, s        string
	match, split string
}{
	// Captures are those of the first match in backtracking order, not
	// POSIX's leftmost-longest subexpressions.
	{`(a|ab)(c|bcd)(d*)`, `abcd`, `["a","bcd",""]`, `["",["a","bcd",""],""]`},
	{`((a)|(ab))((c)|(bc))`, `abc`, `["a","a",null,"bc",null,"bc"]`, `["",["a","a",null,"bc",null,"bc"],""]`},
	{`(a?)((ab)?)(b?)`, `ab`, `["a","",null,"b"]`, `["",["a","",null,"b"],"",["","",null,""],""]`},
	{`(.*)(.*)`, `abc`, `["abc",""]`, `["",["abc",""],"",["",""],""]`},
	// A group in a loop keeps its last iteration; inner groups are not
	// reset.
	{`((a)|b)*`, `ab`, `["b","a"]`, `["",["b","a"],"",[null,null],""]`},
	{`(a|b)*`, ``, `[null]`, `["",[null],""]`},
	// An empty iteration sets the group.
	{`(a*)*`, ``, `[""]`, `["",[""],""]`},
	{`(a*)+`, `b`, `null`, `["",[""],"b",[""],""]`},
	// A greedy loop that finds any match is not abandoned for a longer one.
	{`a?(ab)?`, `ab`, `["ab"]`, `["",[null],"",[null],"b",[null],""]`},
	{`(a|ab)*c`, `ababc`, `["ab"]`, `["",["ab"],""]`},
	// Empty matches, also right after a match.
	{`a*`, `baaac`, `null`, `["",[],"b",[],"",[],"c",[],""]`},
	{`x*`, ``, `[]`, `["",[],""]`},
	{`b*`, `abc`, `null`, `["",[],"a",[],"",[],"c",[],""]`},
	// Anchors.
	{`^a`, `aa`, `null`, `["",[],"a"]`},
	{`a$`, `aa`, `null`, `["a",[],""]`},
	{`^`, `ab`, `null`, `["",[],"ab"]`},
	{`$`, `ab`, `null`, `["ab",[],""]`},
	{`^a|b`, `abab`, `null`, `["",[],"",[],"a",[],""]`},
	// Bytes, not characters.
	{`.`, "é", `null`, `["",[],"",[],""]`},
	{`[é]+`, "é", `[]`, `["",[],""]`},
	{`[é-a]`, "a", `[]`, `["",[],""]`},
	// Brackets.
	{`[]a]+`, `]a]`, `[]`, `["",[],""]`},
	{`[^]a]`, `b`, `[]`, `["",[],""]`},
	{`[a-]+`, `-a`, `[]`, `["",[],""]`},
	{`[--z]+`, `-az`, `[]`, `["",[],""]`},
	{`[\.]+`, `\.`, `[]`, `["",[],""]`},
	{`[[.hyphen.]]`, `-`, `[]`, `["",[],""]`},
	{`[[.a.]-c]+`, `abc`, `[]`, `["",[],""]`},
	{`[[=A=]]+`, `aA`, `[]`, `["",[],""]`},
	{`[[:ALPHA:]]`, `a`, `[]`, `["",[],""]`},
	{`[[:w:]]+`, `a_1`, `[]`, `["",[],""]`},
	{`[[:s:][:d:]]+`, " 1\t", `[]`, `["",[],""]`},
	{`[[:punct:]]+`, `!@#`, `[]`, `["",[],""]`},
	{`[[:alnum:],._+:@%/-]+`, `/bin/exec`, `[]`, `["",[],""]`},
	// Repetition.
	{`a{0}`, ``, `[]`, `["",[],""]`},
	{`(a){0}`, ``, `[null]`, `["",[null],""]`},
	{`(a){0,1}`, ``, `[null]`, `["",[null],""]`},
	{`x{2}{3}`, `xxxxxx`, `[]`, `["",[],""]`},
	{`a**`, `aa`, `[]`, `["",[],"",[],""]`},
	{`a+?`, `aa`, `[]`, `["",[],"",[],""]`},
	{`a{1,3}b`, `aab`, `[]`, `["",[],""]`},
	{`(a|b){2,3}`, `abab`, `null`, `["",["a"],"b"]`},
	{`a{2147483648}`, `a`, `null`, `["",[],"a",[],""]`},
	{`(fo{1,2})`, `fooo`, `null`, `["",["foo"],"o"]`},
	// Escapes of special characters.
	{`\.\*\+\?\(\)\[\{\|\^\$\\`, `.*+?()[{|^$\`, `[]`, `["",[],""]`},
	{`a]b}`, `a]b}`, `[]`, `["",[],""]`},
	// Empty alternatives and groups.
	{`a|`, ``, `[]`, `["",[],""]`},
	{`|a`, `a`, `[]`, `["",[],"",[],""]`},
	{`()`, ``, `[""]`, `["",[""],""]`},
	// From nixpkgs.
	{`[[:space:]]*0*(-?[[:digit:]]+)[[:space:]]*`, ` 0036 `, `["36"]`, `["",["36"],""]`},
	{`git\+([^?]+)(\?(rev|tag|branch)=(.*))?#(.*)`, `git+https://x.org/r.git#abc`,
		`["https://x.org/r.git",null,null,null,"abc"]`, `["",["https://x.org/r.git",null,null,null,"abc"],""]`},
	{`(.+)+(.+)`, `17.0.14+7`, `["17.0.14+","7"]`, `["",["17.0.14+","7"],""]`},
	{`[[:space:]]+|([',.!?])`, "Nix Rocks!\nOk.", `null`, `["Nix",[null],"Rocks",["!"],"",[null],"Ok",["."],""]`},
}

// regexErrors are patterns libstdc++ (as Nix is built) rejects.
var regexErrors = []struct {
	re    string
	space bool // "memory limit exceeded" rather than "invalid"
}{
	{`\d`, false}, {`\w`, false}, {`\]`, false}, {`\}`, false}, {`\-`, false}, {`\/`, false},
	{`a{,3}`, false}, {`a{3,2}`, false}, {`{`, false}, {`a{`, false}, {`a{1`, false}, {`a{x}`, false},
	{`[a-z-9]`, false}, {`[a--]`, false}, {`[[:foo:]]`, false}, {`[[.foo.]]`, false}, {`[[=é=]]`, false},
	{`[[:alpha:]-z]`, false}, {`[z-a]`, false}, {`[a-é]`, false},
	{`*a`, false}, {`a|*`, false}, {`(*a)`, false}, {`^*`, false}, {`$*`, false}, {`a(+)`, false},
	{`)`, false}, {`a)`, false}, {`(`, false}, {`(a`, false}, {`[`, false}, {`[]`, false}, {`[a`, false},
	{`\`, false}, {`[[:alpha:]`, false}, {`[[:alpha:`, false}, {`[[.`, false},
	{`a{99999}`, true}, {`(a){40000}`, true}, {`(a{1000}){1000}`, true},
}

func evalJSON(t *testing.T, expr string) (string, error) {
	t.Helper()
	ev := New(Options{IO: &MemIO{}})
	v, err := ev.EvalSource(context.Background(), "«string»", "/", []byte("builtins.toJSON ("+expr+")"))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := ev.WriteValue(context.Background(), &b, v, true); err != nil {
		return "", err
	}
	s, err := strconv.Unquote(strings.TrimSpace(b.String()))
	if err != nil {
		return "", fmt.Errorf("unquoting %s: %v", b.String(), err)
	}
	return s, nil
}

func TestRegexCases(t *testing.T) {
	for _, c := range regexCases {
		for _, k := range []struct{ fn, want string }{{"match", c.match}, {"split", c.split}} {
			expr := fmt.Sprintf("builtins.%s %s %s", k.fn, nixQuote(c.re), nixQuote(c.s))
			got, err := evalJSON(t, expr)
			if err != nil {
				t.Errorf("%s: %v", expr, err)
			} else if got != k.want {
				t.Errorf("%s\n got %s\nwant %s", expr, got, k.want)
			}
		}
	}
}

func TestRegexErrors(t *testing.T) {
	for _, c := range regexErrors {
		_, err := evalJSON(t, "builtins.match "+nixQuote(c.re)+` ""`)
		want := fmt.Sprintf("invalid regular expression '%s'", c.re)
		if c.space {
			want = fmt.Sprintf("memory limit exceeded by regular expression '%s'", c.re)
		}
		var e *Error
		if !errors.As(err, &e) || e.Msg != want {
			t.Errorf("match %q: got %v, want %s", c.re, err, want)
		}
	}
}

// nixJSON evaluates builtins.toJSON of each expression with Nix in one
// run; it fails if any of them fails.
func nixJSON(t *testing.T, exprs []string) ([]string, error) {
	t.Helper()
	var src strings.Builder
	src.WriteString("[\n")
	for _, e := range exprs {
		src.WriteString("(builtins.toJSON (" + e + "))\n")
	}
	src.WriteString("]")
	cmd := exec.Command("nix-instantiate", "--eval", "--strict", "--json", "-")
	cmd.Stdin = strings.NewReader(src.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var list []string
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, err
	}
	return list, nil
}

func TestRegexCasesMatchNix(t *testing.T) {
	testutil.RequireNix(t)
	var exprs, wants []string
	for _, c := range regexCases {
		exprs = append(exprs, fmt.Sprintf("builtins.match %s %s", nixQuote(c.re), nixQuote(c.s)),
			fmt.Sprintf("builtins.split %s %s", nixQuote(c.re), nixQuote(c.s)))
		wants = append(wants, c.match, c.split)
	}
	got, err := nixJSON(t, exprs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range exprs {
		if got[i] != wants[i] {
			t.Errorf("%s: Nix gives %s, the test wants %s", exprs[i], got[i], wants[i])
		}
	}
	// Errors cannot be caught in Nix: one run per pattern, a few at a time.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, c := range regexErrors {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out, err := exec.Command("nix-instantiate", "--eval", "-E", "builtins.match "+nixQuote(c.re)+` ""`).CombinedOutput()
			want := "invalid regular expression"
			if c.space {
				want = "memory limit exceeded by regular expression"
			}
			if err == nil || !strings.Contains(string(out), want) {
				t.Errorf("match %q: Nix says %s (%v), the test wants %s", c.re, out, err, want)
			}
		}()
	}
	wg.Wait()
}

// randomRegex makes a random pattern over a small alphabet, mostly valid.
func randomRegex(r *rand.Rand, depth int) string {
	var b strings.Builder
	n := 1 + r.Intn(4)
	for i := 0; i < n; i++ {
		switch k := r.Intn(20); {
		case k < 7:
			b.WriteByte("abc"[r.Intn(3)])
		case k == 7:
			b.WriteByte('.')
		case k == 8:
			b.WriteString([]string{"[ab]", "[^a]", "[[:alpha:]]", "[a-c]", "[]a]", "[^]]", "[b-]"}[r.Intn(7)])
		case k == 9:
			b.WriteString([]string{"^", "$"}[r.Intn(2)])
		case k < 14 && depth < 3:
			b.WriteString("(" + randomRegex(r, depth+1) + ")")
		case k < 16 && depth < 3:
			b.WriteString(randomRegex(r, depth+1) + "|" + randomRegex(r, depth+1))
		case k == 16:
			b.WriteString("()")
		default:
			b.WriteByte("abc"[r.Intn(3)])
		}
		if r.Intn(3) == 0 {
			b.WriteString([]string{"*", "+", "?", "{2}", "{0,1}", "{1,2}", "{2,}", "*?", "+*", "{0}", "{,}"}[r.Intn(11)])
		}
	}
	return b.String()
}

func randomSubject(r *rand.Rand) string {
	n := r.Intn(12)
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcab"[r.Intn(5)]
	}
	return string(b)
}

// TestRegexMemoAgrees checks that the memoising search gives the plain
// search's results.
func TestRegexMemoAgrees(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		pat, s := randomRegex(r, 0), randomSubject(r)
		re, err := compileRegex(pat)
		if err != nil {
			continue
		}
		memo := *re
		memo.alwaysMemo = true
		g1, ok1 := re.matchString(s)
		g2, ok2 := memo.matchString(s)
		if ok1 != ok2 || fmt.Sprint(g1) != fmt.Sprint(g2) {
			t.Errorf("match %q %q: plain %v %v, memoised %v %v", pat, s, g1, ok1, g2, ok2)
		}
		if a, b := fmt.Sprint(re.splitString(s)), fmt.Sprint(memo.splitString(s)); a != b {
			t.Errorf("split %q %q: plain %v, memoised %v", pat, s, a, b)
		}
	}
}

// TestRegexPathological: patterns that make a backtracking search
// exponential finish quickly (the search memoises).
func TestRegexPathological(t *testing.T) {
	long := strings.Repeat("a", 5000)
	for _, c := range []struct{ re, s string }{
		{`(a|a)*b`, long},
		{`(a|aa)*c`, long},
		{`((a*)*)*b`, long},
		{`(a?){30}a{30}`, strings.Repeat("a", 30)},
		{`(.*)*x`, long},
	} {
		re, err := compileRegex(c.re)
		if err != nil {
			t.Fatal(err)
		}
		re.matchString(c.s)
		re.splitString(c.s)
	}
}

// TestRegexRandomMatchesNix compares match and split with Nix 2.8 on
// random patterns and strings (GOVIX_REGEX_CASES of them, default 300).
func TestRegexRandomMatchesNix(t *testing.T) {
	testutil.RequireNix(t)
	n := 300
	if s := os.Getenv("GOVIX_REGEX_CASES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("GOVIX_REGEX_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewSource(seed))
	var exprs, gots []string
	for len(exprs) < n {
		re, s := randomRegex(r, 0), randomSubject(r)
		if _, err := compileRegex(re); err != nil {
			continue
		}
		for _, fn := range []string{"match", "split"} {
			e := fmt.Sprintf("builtins.%s %s %s", fn, nixQuote(re), nixQuote(s))
			got, err := evalJSON(t, e)
			if err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			exprs, gots = append(exprs, e), append(gots, got)
		}
	}
	want, err := nixJSON(t, exprs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range exprs {
		if gots[i] != want[i] {
			t.Errorf("%s\n govix %s\n   nix %s", exprs[i], gots[i], want[i])
		}
	}
}
