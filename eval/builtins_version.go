package eval

import "strconv"

// Version builtins: splitVersion, compareVersions and parseDrvName, with
// the version logic of `nix-env -u` (Nix's src/libstore/names.cc).

func init() {
	register(
		&Builtin{Name: "splitVersion", Arity: 1, Fn: builtinSplitVersion},
		&Builtin{Name: "compareVersions", Arity: 2, Fn: builtinCompareVersions},
		&Builtin{Name: "parseDrvName", Arity: 1, Fn: builtinParseDrvName},
	)
}

// builtins.splitVersion s: the components of a version string.
func builtinSplitVersion(c Call) Value {
	v := c.StringNoCtx(0)
	var out []Value
	for p := 0; ; {
		comp, next := nextVersionComponent(v, p)
		if comp == "" {
			break
		}
		out = append(out, Str(comp))
		p = next
	}
	return NewList(out)
}

// builtins.compareVersions a b: -1, 0 or 1 as version a is older than, the
// same as or newer than b.
func builtinCompareVersions(c Call) Value {
	a := c.StringNoCtx(0)
	b := c.StringNoCtx(1)
	return Int(compareVersions(a, b))
}

// builtins.parseDrvName s: { name, version }, split at the first dash
// that is not followed by a letter.
func builtinParseDrvName(c Call) Value {
	s := c.StringNoCtx(0)
	name, version := parseDrvName(s)
	b := c.NewAttrs(2)
	b.Set("name", Str(name))
	b.Set("version", Str(version))
	return b.Attrs()
}

func parseDrvName(s string) (name, version string) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '-' && !isASCIIAlpha(s[i+1]) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func isASCIIAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// nextVersionComponent returns the component of v starting at or after p
// (skipping the separators '.' and '-'): a run of digits, or a run of
// other characters; "" at the end.
func nextVersionComponent(v string, p int) (string, int) {
	for p < len(v) && (v[p] == '.' || v[p] == '-') {
		p++
	}
	if p == len(v) {
		return "", p
	}
	s := p
	if isASCIIDigit(v[p]) {
		for p < len(v) && isASCIIDigit(v[p]) {
			p++
		}
	} else {
		for p < len(v) && !isASCIIDigit(v[p]) && v[p] != '.' && v[p] != '-' {
			p++
		}
	}
	return v[s:p], p
}

// versionNumber parses a component as Nix's string2Int<int> does: digits
// that fit an int (so a longer run of digits is not a number).
func versionNumber(c string) (int64, bool) {
	if c == "" || !isASCIIDigit(c[0]) {
		return 0, false
	}
	n, err := strconv.ParseInt(c, 10, 32)
	return n, err == nil
}

// componentLess orders version components: numbers numerically, the empty
// component before numbers, "pre" before anything else, other strings
// before numbers and otherwise as strings.
func componentLess(c1, c2 string) bool {
	n1, ok1 := versionNumber(c1)
	n2, ok2 := versionNumber(c2)
	switch {
	case ok1 && ok2:
		return n1 < n2
	case c1 == "" && ok2:
		return true
	case c1 == "pre" && c2 != "pre":
		return true
	case c2 == "pre":
		return false
	case ok2:
		return true
	case ok1:
		return false
	default:
		return c1 < c2
	}
}

func compareVersions(v1, v2 string) int {
	p1, p2 := 0, 0
	for p1 < len(v1) || p2 < len(v2) {
		var c1, c2 string
		c1, p1 = nextVersionComponent(v1, p1)
		c2, p2 = nextVersionComponent(v2, p2)
		if componentLess(c1, c2) {
			return -1
		}
		if componentLess(c2, c1) {
			return 1
		}
	}
	return 0
}
