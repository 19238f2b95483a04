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
	{`(x?){3}(y?)`, `xy`, `["","y"]`, `["",["","y"],"",["",""],""]`},
	{`0?????{8}`, `000P`, `null`, `["",[],"",[],"P",[],""]`},
	{`(a*)*{6}`, `aab`, `null`, `["",[""],"",[""],"b",[""],""]`},
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
	return nixJSONTimeout(t, exprs, 2*time.Minute)
}

// nixJSONTimeout is nixJSON giving up after timeout (the error is then
// context.DeadlineExceeded).
func nixJSONTimeout(t *testing.T, exprs []string, timeout time.Duration) ([]string, error) {
	t.Helper()
	var src strings.Builder
	src.WriteString("[\n")
	for _, e := range exprs {
		src.WriteString("(builtins.toJSON (" + e + "))\n")
	}
	src.WriteString("]")
	// Nix's regex engine is exponential on some patterns: do not wait
	// for ever.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nix-instantiate", "--eval", "--strict", "--json", "-")
	cmd.Stdin = strings.NewReader(src.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
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
		g1, ok1, err1 := re.matchString(s)
		g2, ok2, err2 := memo.matchString(s)
		if ok1 != ok2 || fmt.Sprint(g1) != fmt.Sprint(g2) || err1 != nil || err2 != nil {
			t.Errorf("match %q %q: plain %v %v %v, memoised %v %v %v", pat, s, g1, ok1, err1, g2, ok2, err2)
		}
		s1, err1 := re.splitString(s, nil)
		s2, err2 := memo.splitString(s, nil)
		if a, b := fmt.Sprint(s1, err1), fmt.Sprint(s2, err2); a != b {
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
		if _, _, err := re.matchString(c.s); err != nil {
			t.Errorf("match %s: %v", c.re, err)
		}
		if _, err := re.splitString(c.s, nil); err != nil {
			t.Errorf("split %s: %v", c.re, err)
		}
	}
}

// TestRegexRandomMatchesNix compares match and split with Nix 2.8 on
// random patterns and strings: GOVIX_REGEX_CASES of them (default 1000),
// from GOVIX_REGEX_SEED (default a fixed seed, "random" for the time). Some
// random patterns make Nix's backtracking exponential (it then times out).
func TestRegexRandomMatchesNix(t *testing.T) {
	testutil.RequireNix(t)
	n := 1000
	if s := os.Getenv("GOVIX_REGEX_CASES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	seed := int64(1)
	switch s := os.Getenv("GOVIX_REGEX_SEED"); s {
	case "":
	case "random":
		seed = time.Now().UnixNano()
	default:
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
	// In batches: some random patterns make Nix's backtracking
	// exponential, and then only that batch is given up.
	const batch = 200
	for lo := 0; lo < len(exprs); lo += batch {
		hi := min(lo+batch, len(exprs))
		want, err := nixJSONTimeout(t, exprs[lo:hi], 30*time.Second)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Logf("Nix did not finish cases %d to %d in time", lo, hi)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := lo; i < hi; i++ {
			if gots[i] != want[i-lo] {
				t.Errorf("%s\n govix %s\n   nix %s", exprs[i], gots[i], want[i-lo])
			}
		}
	}
}

// FuzzRegex: any pattern compiles to a regex or fails with one of the
// compile errors; matching and splitting any string gives well-formed
// results, the same with and without memoisation; nothing panics or hangs.
func FuzzRegex(f *testing.F) {
	for _, c := range regexCases {
		f.Add(c.re, c.s)
	}
	for _, c := range regexErrors {
		f.Add(c.re, "a")
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 512 {
			pat = pat[:512]
		}
		if len(s) > 64 {
			s = s[:64]
		}
		re, err := compileRegex(pat)
		if err != nil {
			if !errors.Is(err, errRegexInvalid) && !errors.Is(err, errRegexSpace) {
				t.Fatalf("compile %q: unexpected error %v", pat, err)
			}
			return
		}
		if len(re.prog) > 4000 {
			// Big automata ("a{3000}") are matched in time proportional
			// to their size; that is not what this looks for.
			return
		}
		memo := *re
		memo.alwaysMemo = true
		// The memoising search may give up (errRegexTooComplex) where the
		// plain one finishes, and vice versa; otherwise they agree.
		tooComplex := func(errs ...error) bool {
			for _, e := range errs {
				if e != nil && !errors.Is(e, errRegexTooComplex) {
					t.Fatalf("%q %q: unexpected error %v", pat, s, e)
				}
				if e != nil {
					return true
				}
			}
			return false
		}
		g, ok, err := re.matchString(s)
		g2, ok2, err2 := memo.matchString(s)
		if !tooComplex(err, err2) && (ok != ok2 || fmt.Sprint(g) != fmt.Sprint(g2)) {
			t.Fatalf("match %q %q: plain %v %v %v, memoised %v %v %v", pat, s, g, ok, err, g2, ok2, err2)
		}
		if ok {
			checkGroups(t, g, 0, len(s))
			if g[0] != 0 || int(g[1]) != len(s) {
				t.Fatalf("match %q %q: whole match %v", pat, s, g)
			}
		}
		ms, err := re.splitString(s, nil)
		ms2, err2 := memo.splitString(s, nil)
		if !tooComplex(err, err2) && fmt.Sprint(ms) != fmt.Sprint(ms2) {
			t.Fatalf("split %q %q: plain %v %v, memoised %v %v", pat, s, ms, err, ms2, err2)
		}
		prev := 0
		for i := 0; i < len(ms); i += 2 * re.nsub {
			m := ms[i : i+2*re.nsub]
			if int(m[0]) < prev {
				t.Fatalf("split %q %q: matches overlap: %v", pat, s, ms)
			}
			checkGroups(t, m, int(m[0]), int(m[1]))
			prev = int(m[1])
		}
	})
}

func checkGroups(t *testing.T, g reMatch, lo, hi int) {
	t.Helper()
	for i := 0; i < len(g); i += 2 {
		if g[i] == -1 && g[i+1] == -1 && i > 0 {
			continue
		}
		if int(g[i]) < lo || g[i] > g[i+1] || int(g[i+1]) > hi {
			t.Fatalf("group %d out of bounds: %v in [%d,%d]", i/2, g, lo, hi)
		}
	}
}

func benchRegex(b *testing.B, pat string) *posixRegex {
	re, err := compileRegex(pat)
	if err != nil {
		b.Fatal(err)
	}
	return re
}

// BenchmarkMatchLong matches 1 MB: a greedy .* runs to the end and back.
func BenchmarkMatchLong(b *testing.B) {
	re := benchRegex(b, `(.*)(q-r)(.*)`)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		if _, ok, _ := re.matchString(benchText); !ok {
			b.Fatal("no match")
		}
	}
}

// BenchmarkMatchLongFail fails on 1 MB after scanning it all.
func BenchmarkMatchLongFail(b *testing.B) {
	re := benchRegex(b, `[a-z ,.-]*(Q)[a-z ]*`)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		if _, ok, _ := re.matchString(benchText); ok {
			b.Fatal("match")
		}
	}
}

// BenchmarkMatchShort is what nixpkgs does most: short strings, cached
// patterns.
func BenchmarkMatchShort(b *testing.B) {
	re := benchRegex(b, `[[:alnum:]+_?=-][[:alnum:]+._?=-]*`)
	re2 := benchRegex(b, `^([0-9][0-9\.]*)(.*)$`)
	for b.Loop() {
		re.matchString("glibc-2.40-66")
		re2.matchString("10.2.1-rc1")
	}
}

func BenchmarkSplitLong(b *testing.B) {
	re := benchRegex(b, `([,[:space:]])`)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		re.splitString(benchText, nil)
	}
}

func BenchmarkRegexCompile(b *testing.B) {
	for b.Loop() {
		compileRegex(`git\+([^?]+)(\?(rev|tag|branch)=(.*))?#(.*)`)
	}
}
