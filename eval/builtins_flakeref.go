package eval

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/govix/govix/nixcompat/nixhash"
)

// builtins.parseFlakeRef and builtins.flakeRefToString: current Nix's
// flake reference syntax (libflake's parseFlakeRef, libfetchers' input
// schemes) for the schemes that need no network to parse: github, gitlab
// and sourcehut, git (git+https:, git+ssh:, git+file:, git:), path,
// indirect (flake: and bare flake ids such as nixpkgs/nixos-23.05), and
// tarball and file URLs. A reference is parsed into the input's attributes
// (fetchers::Attrs: strings, integers and Booleans) plus "dir", and
// printed back from them as Nix's Input::toURLString does.

func init() {
	register(
		&Builtin{Name: "parseFlakeRef", Arity: 1, Fn: builtinParseFlakeRef},
		&Builtin{Name: "flakeRefToString", Arity: 1, Fn: builtinFlakeRefToString},
		&Builtin{Name: "break", Arity: 1, Global: true, Fn: builtinBreak},
	)
}

// builtins.break v: v (govix has no debugger to break into).
func builtinBreak(c Call) Value { return c.Force(0) }

// flakeAttr is a fetchers::Attr: a string, an integer or a Boolean.
type flakeAttr struct {
	kind byte // 's', 'i' or 'b'
	s    string
	i    uint64
	b    bool
}

type flakeAttrs map[string]flakeAttr

// flakeError is a Nix Error from parsing or printing a reference; bad
// marks BadURL, which the parser catches to try the next syntax.
type flakeError struct {
	msg string
	bad bool
}

func badURL(format string, args ...any) *flakeError {
	return &flakeError{msg: fmt.Sprintf(format, args...), bad: true}
}

func flakeErr(format string, args ...any) *flakeError {
	return &flakeError{msg: fmt.Sprintf(format, args...)}
}

func builtinParseFlakeRef(c Call) Value {
	s := c.stringNoCtxMsg(c.Args[0], "while evaluating the argument passed to builtins.parseFlakeRef")
	attrs, err := parseFlakeRef(s)
	if err != nil {
		c.Errorf(EvalError, "%s", err.msg)
	}
	ev := c.Ev
	out := make([]Attr, 0, len(attrs))
	for name, a := range attrs {
		var v Value
		switch a.kind {
		case 's':
			v = Str(a.s)
		case 'i':
			v = Int(int64(a.i))
		default:
			v = mkBool(a.b)
		}
		out = append(out, Attr{Name: ev.symbols.intern(name), Value: v})
	}
	return ev.makeAttrs(out, false)
}

func builtinFlakeRefToString(c Call) Value {
	ev := c.Ev
	a := c.attrsMsg(c.Args[0], "while evaluating the argument passed to builtins.flakeRefToString")
	attrs := flakeAttrs{}
	for _, at := range a.All() {
		name := ev.symbols.name(at.Name)
		switch v := ev.force(at.Value).(type) {
		case Int:
			if v < 0 {
				c.Errorf(EvalError, "negative value given for flake ref attr %s: %d", name, int64(v))
			}
			attrs[name] = flakeAttr{kind: 'i', i: uint64(v)}
		case Bool:
			attrs[name] = flakeAttr{kind: 'b', b: bool(v)}
		case *String:
			attrs[name] = flakeAttr{kind: 's', s: v.s}
		default:
			c.Errorf(EvalError, "flake reference attribute sets may only contain integers, Booleans, and strings, but attribute '%s' is %s", name, showType(v))
		}
	}
	s, err := flakeRefToString(attrs)
	if err != nil {
		c.Errorf(EvalError, "%s", err.msg)
	}
	return Str(s)
}

// ---------------------------------------------------------------------
// URLs (libutil's ParsedURL over boost::urls).

type parsedURL struct {
	scheme    string
	authority *string  // without the //, if there is one
	path      []string // segments, percent-decoded
	query     map[string]string
	fragment  string
}

var urlSchemeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*$`)

func isUnreserved(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

// checkURLPart checks that s is made of pchars, percent escapes and the
// extra characters allowed.
func checkURLPart(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@' || strings.IndexByte(extra, c) >= 0:
		case c == '%' && i+2 < len(s) && isTOMLHex(s[i+1]) && isTOMLHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// percentDecode decodes %XX escapes (validated by checkURLPart).
func percentDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// percentEncode encodes all but unreserved characters and those in keep.
func percentEncode(s, keep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// encodeLenient percent-encodes the characters in set (the spaces and
// quotes Nix allows unescaped in queries and fragments).
func encodeLenient(s, set string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) >= 0 {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// decodeQuery parses a query; the first of repeated names wins, and a
// parameter without "=" is ignored (Nix warns).
func decodeQuery(q string) (map[string]string, *flakeError) {
	out := map[string]string{}
	if q == "" {
		return out, nil
	}
	for _, p := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if !checkURLPart(k, "/?") || !checkURLPart(v, "/?") {
			return nil, badURL("invalid URI query '%s'", q)
		}
		k = percentDecode(k)
		if _, dup := out[k]; !dup {
			out[k] = percentDecode(v)
		}
	}
	return out, nil
}

// parseURL is nix::parseURL(url, lenient=true).
func parseURL(url string) (*parsedURL, *flakeError) {
	rest := url
	// Lenient: spaces and quotes in the query, and ^ too in the fragment.
	if before, after, ok := strings.Cut(rest, "?"); ok {
		q, frag, hasFrag := strings.Cut(after, "#")
		rest = before + "?" + encodeLenient(q, " \"")
		if hasFrag {
			rest += "#" + encodeLenient(frag, " \"^")
		}
	} else if before, frag, ok := strings.Cut(rest, "#"); ok {
		rest = before + "#" + encodeLenient(frag, " \"^")
	}
	colon := strings.IndexByte(rest, ':')
	if colon < 0 || !urlSchemeRE.MatchString(rest[:colon]) {
		return nil, badURL("'%s' doesn't have a scheme", url)
	}
	u := &parsedURL{scheme: rest[:colon]}
	rest = rest[colon+1:]
	if r, frag, ok := strings.Cut(rest, "#"); ok {
		if !checkURLPart(frag, "/?") {
			return nil, badURL("'%s' is not a valid URL", url)
		}
		rest, u.fragment = r, percentDecode(frag)
	}
	query := ""
	if r, q, ok := strings.Cut(rest, "?"); ok {
		rest, query = r, q
	}
	if strings.HasPrefix(rest, "//") {
		end := strings.IndexByte(rest[2:], '/')
		if end < 0 {
			end = len(rest) - 2
		}
		auth := rest[2 : 2+end]
		if !checkURLPart(auth, "[]") {
			return nil, badURL("invalid URL authority: '%s'", auth)
		}
		u.authority = &auth
		rest = rest[2+end:]
	}
	if !checkURLPart(rest, "/") {
		return nil, badURL("'%s' is not a valid URL", url)
	}
	transport := u.scheme[strings.IndexByte(u.scheme, '+')+1:]
	if transport == "file" && u.authority != nil && *u.authority != "" {
		return nil, badURL("file:// URL '%s' has unexpected authority '%s'", url, *u.authority)
	}
	if transport == "file" && rest == "" {
		rest = "/"
	}
	for _, seg := range strings.Split(rest, "/") {
		u.path = append(u.path, percentDecode(seg))
	}
	q, err := decodeQuery(query)
	if err != nil {
		return nil, err
	}
	u.query = q
	return u, nil
}

// pathSegments returns the segments, without empty ones if skipEmpty.
func (u *parsedURL) pathSegments(skipEmpty bool) []string {
	var out []string
	for _, s := range u.path {
		if s != "" || !skipEmpty {
			out = append(out, s)
		}
	}
	return out
}

// String is ParsedURL::to_string.
func (u *parsedURL) String() string {
	var b strings.Builder
	b.WriteString(u.scheme + ":")
	if u.authority != nil {
		b.WriteString("//" + *u.authority)
	}
	for i, seg := range u.path {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(percentEncode(seg, ":@"))
	}
	if len(u.query) > 0 {
		b.WriteByte('?')
		for i, k := range slices.Sorted(maps.Keys(u.query)) {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(percentEncode(k, ":@/?") + "=" + percentEncode(u.query[k], ":@/?"))
		}
	}
	if u.fragment != "" {
		b.WriteString("#" + percentEncode(u.fragment, ""))
	}
	return b.String()
}

// ---------------------------------------------------------------------
// Parsing references.

var (
	flakeIDRE  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]*$`)
	gitRefRE   = regexp.MustCompile(`^[a-zA-Z0-9@][a-zA-Z0-9_./@+-]*$`)
	gitRevRE   = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	fragmentRE = regexp.MustCompile(`^(?:[a-zA-Z0-9._~!$&'"()*+,;=:@/? ^-]|%[0-9a-fA-F]{2})*$`)
	gitHostRE  = regexp.MustCompile(`^[a-zA-Z0-9.-]*$`)
)

// parseFlakeRef is nix::parseFlakeRef(url, no base directory,
// allowMissing, isFlake) followed by FlakeRef::toAttrs.
func parseFlakeRef(url string) (flakeAttrs, *flakeError) {
	attrs, fragment, err := parseFlakeRefWithFragment(url)
	if err != nil {
		return nil, err
	}
	if fragment != "" {
		return nil, flakeErr("unexpected fragment '%s' in flake reference '%s'", fragment, url)
	}
	return attrs, nil
}

func parseFlakeRefWithFragment(url string) (flakeAttrs, string, *flakeError) {
	// A flake id: nixpkgs, nixpkgs/branch, nixpkgs/branch/rev.
	ref, fragment, _ := strings.Cut(url, "#")
	id, rest, hasRest := strings.Cut(ref, "/")
	if flakeIDRE.MatchString(id) && (!hasRest || gitRefRE.MatchString(rest)) && fragmentRE.MatchString(fragment) {
		u := &parsedURL{scheme: "flake", path: strings.Split(ref, "/")}
		attrs, err := inputFromURL(u)
		if err != nil {
			return nil, "", err
		}
		return attrs, percentDecode(fragment), nil
	}
	// A URL.
	if u, err := parseURL(url); err == nil {
		attrs, frag, err := fromParsedURL(u)
		if err == nil {
			return attrs, frag, nil
		}
		if !err.bad {
			return nil, "", err
		}
	}
	// A path: without a base directory, it must be absolute.
	path, fragment, _ := strings.Cut(url, "#")
	path, query, _ := strings.Cut(path, "?")
	if !strings.HasPrefix(path, "/") {
		return nil, "", flakeErr("flake reference '%s' is not an absolute path", url)
	}
	q, err := decodeQuery(encodeLenient(query, " \""))
	if err != nil {
		return nil, "", err
	}
	empty := ""
	u := &parsedURL{scheme: "path", authority: &empty, path: strings.Split(path, "/"), query: q}
	attrs, _, err := fromParsedURL(u)
	return attrs, percentDecode(fragment), err
}

// fromParsedURL takes "dir" from the query and makes the input.
func fromParsedURL(u *parsedURL) (flakeAttrs, string, *flakeError) {
	dir, hasDir := u.query["dir"]
	delete(u.query, "dir")
	fragment := u.fragment
	u.fragment = ""
	attrs, err := inputFromURL(u)
	if err != nil {
		return nil, "", err
	}
	if hasDir && dir != "" {
		attrs["dir"] = flakeAttr{kind: 's', s: dir}
	}
	return attrs, fragment, nil
}

func str(s string) flakeAttr { return flakeAttr{kind: 's', s: s} }

// inputFromURL is Input::fromURL: the first scheme (by name) that takes
// the URL.
func inputFromURL(u *parsedURL) (flakeAttrs, *flakeError) {
	app, transport, hasApp := strings.Cut(u.scheme, "+")
	if !hasApp {
		app, transport = "", u.scheme
	}
	var attrs flakeAttrs
	var err *flakeError
	switch {
	case hasApp && app == "file" && (transport == "file" || transport == "http" || transport == "https"):
		attrs, err = curlInputFromURL(u, "file")
	case u.scheme == "git" || app == "git":
		attrs, err = gitInputFromURL(u)
	case u.scheme == "github" || u.scheme == "gitlab" || u.scheme == "sourcehut":
		attrs, err = gitArchiveInputFromURL(u)
	case u.scheme == "flake":
		attrs, err = indirectInputFromURL(u)
	case u.scheme == "path":
		attrs, err = pathInputFromURL(u)
	case (transport == "file" || transport == "http" || transport == "https") && (!hasApp || app == "tarball"):
		attrs, err = curlInputFromURL(u, "tarball")
	default:
		if app == "file" && transport == "git" {
			return nil, flakeErr("input '%s' is unsupported; did you mean 'git+file' instead of 'file+git'?", u)
		}
		return nil, flakeErr("input '%s' is unsupported", u)
	}
	if err != nil {
		return nil, err
	}
	return attrs, fixupInput(attrs)
}

// fixupInput checks the types of the common attributes.
func fixupInput(attrs flakeAttrs) *flakeError {
	for name, kind := range map[string]byte{"type": 's', "ref": 's', "revCount": 'i', "lastModified": 'i'} {
		if a, ok := attrs[name]; ok && a.kind != kind {
			what := "a string"
			if kind == 'i' {
				what = "an integer"
			}
			return flakeErr("input attribute '%s' is not %s", name, what)
		}
	}
	return nil
}

func gitArchiveInputFromURL(u *parsedURL) (flakeAttrs, *flakeError) {
	path := u.pathSegments(true)
	attrs := flakeAttrs{}
	switch {
	case len(path) == 3:
		if gitRevRE.MatchString(path[2]) {
			attrs["rev"] = str(path[2])
		} else {
			attrs["ref"] = str(path[2])
		}
	case len(path) > 3:
		attrs["ref"] = str(strings.Join(path[2:], "/"))
	case len(path) < 2:
		return nil, badURL("URL '%s' is invalid", u)
	}
	for _, name := range slices.Sorted(maps.Keys(u.query)) {
		value := u.query[name]
		switch name {
		case "rev", "ref":
			if _, ok := attrs[name]; ok {
				what := "commit hashes"
				if name == "ref" {
					what = "branch/tag names"
				}
				return nil, badURL("URL '%s' contains multiple %s", u, what)
			}
			attrs[name] = str(value)
		case "host", "narHash":
			attrs[name] = str(value)
		default:
			return nil, badURL("URL '%s' contains unknown parameter '%s'", u, name)
		}
	}
	attrs["type"] = str(u.scheme)
	attrs["owner"] = str(path[0])
	attrs["repo"] = str(path[1])
	return attrs, gitArchiveCheck(attrs)
}

// gitArchiveCheck is GitArchiveInputScheme::inputFromAttrs.
func gitArchiveCheck(attrs flakeAttrs) *flakeError {
	for _, name := range []string{"owner", "repo"} {
		if _, err := getStrAttr(attrs, name); err != nil {
			return err
		}
	}
	ref, hasRef := attrs["ref"]
	rev, hasRev := attrs["rev"]
	if hasRef && hasRev {
		return badURL("input %s contains both a commit hash ('%s') and a branch/tag name ('%s')", attrsJSON(attrs), rev.s, ref.s)
	}
	if hasRev {
		if _, err := parseRev(rev.s); err != nil {
			return err
		}
	}
	if hasRef && !isLegalRefName(ref.s) {
		return badURL("input %s contains an invalid branch/tag name", attrsJSON(attrs))
	}
	if host, ok := attrs["host"]; ok && !gitHostRE.MatchString(host.s) {
		return badURL("input %s contains an invalid instance host", attrsJSON(attrs))
	}
	return nil
}

func indirectInputFromURL(u *parsedURL) (flakeAttrs, *flakeError) {
	path := u.pathSegments(true)
	attrs := flakeAttrs{"type": str("indirect")}
	switch len(path) {
	case 1:
	case 2:
		if gitRevRE.MatchString(path[1]) {
			attrs["rev"] = str(strings.ToLower(path[1]))
		} else if isLegalRefName(path[1]) {
			attrs["ref"] = str(path[1])
		} else {
			return nil, badURL("in flake URL '%s', '%s' is not a commit hash or branch/tag name", u, path[1])
		}
	case 3:
		if !isLegalRefName(path[1]) {
			return nil, badURL("in flake URL '%s', '%s' is not a branch/tag name", u, path[1])
		}
		attrs["ref"] = str(path[1])
		if !gitRevRE.MatchString(path[2]) {
			return nil, badURL("in flake URL '%s', '%s' is not a commit hash", u, path[2])
		}
		attrs["rev"] = str(strings.ToLower(path[2]))
	default:
		return nil, badURL("GitHub URL '%s' is invalid", u)
	}
	if !flakeIDRE.MatchString(path[0]) {
		return nil, badURL("'%s' is not a valid flake ID", path[0])
	}
	attrs["id"] = str(path[0])
	return attrs, nil
}

func pathInputFromURL(u *parsedURL) (flakeAttrs, *flakeError) {
	if u.authority != nil && *u.authority != "" {
		return nil, flakeErr("path URL '%s' should not have an authority ('%s')", u, *u.authority)
	}
	attrs := flakeAttrs{"type": str("path"), "path": str(strings.Join(u.path, "/"))}
	for _, name := range slices.Sorted(maps.Keys(u.query)) {
		value := u.query[name]
		switch name {
		case "rev", "narHash":
			attrs[name] = str(value)
		case "revCount", "lastModified":
			n, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				return nil, flakeErr("path URL '%s' has invalid parameter '%s'", u, name)
			}
			attrs[name] = flakeAttr{kind: 'i', i: n}
		default:
			return nil, flakeErr("path URL '%s' has unsupported parameter '%s'", u, name)
		}
	}
	return attrs, nil
}

func gitInputFromURL(u *parsedURL) (flakeAttrs, *flakeError) {
	u2 := *u
	u2.query = map[string]string{}
	attrs := flakeAttrs{"type": str("git")}
	for _, name := range slices.Sorted(maps.Keys(u.query)) {
		value := u.query[name]
		switch name {
		case "rev", "ref", "keytype", "publicKey", "publicKeys":
			attrs[name] = str(value)
		case "shallow", "submodules", "lfs", "exportIgnore", "allRefs", "verifyCommit":
			attrs[name] = flakeAttr{kind: 'b', b: value == "1"}
		default:
			u2.query[name] = value
		}
	}
	// The transport URL: git+https://x → https://x.
	if _, transport, ok := strings.Cut(u2.scheme, "+"); ok {
		u2.scheme = transport
	}
	attrs["url"] = str(u2.String())
	return attrs, gitCheck(attrs)
}

// gitCheck is GitInputScheme::inputFromAttrs.
func gitCheck(attrs flakeAttrs) *flakeError {
	for _, name := range []string{"verifyCommit", "shallow", "submodules", "allRefs", "lfs", "exportIgnore"} {
		if a, ok := attrs[name]; ok && a.kind != 'b' {
			return flakeErr("input attribute '%s' is not a Boolean", name)
		}
	}
	if ref, ok := attrs["ref"]; ok && ref.kind == 's' && !isLegalRefName(ref.s) {
		return badURL("invalid Git branch/tag name '%s'", ref.s)
	}
	if _, err := getStrAttr(attrs, "url"); err != nil {
		return err
	}
	return nil
}

func curlInputFromURL(u *parsedURL, scheme string) (flakeAttrs, *flakeError) {
	u2 := *u
	u2.scheme = u.scheme[strings.IndexByte(u.scheme, '+')+1:]
	u2.query = maps.Clone(u.query)
	attrs := flakeAttrs{}
	if v, ok := u.query["narHash"]; ok {
		attrs["narHash"] = str(v)
	}
	if v, ok := u.query["rev"]; ok {
		attrs["rev"] = str(v)
	}
	for _, name := range []string{"revCount", "lastModified"} {
		if v, ok := u.query[name]; ok {
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				attrs[name] = flakeAttr{kind: 'i', i: n}
			}
		}
	}
	for _, name := range []string{"url", "narHash", "name", "unpack", "rev", "revCount", "lastModified"} {
		delete(u2.query, name)
	}
	attrs["type"] = str(scheme)
	attrs["url"] = str(u2.String())
	return attrs, nil
}

// ---------------------------------------------------------------------
// Printing references.

var flakeAllowedAttrs = map[string][]string{
	"github":    {"owner", "repo", "ref", "rev", "narHash", "lastModified", "host", "treeHash"},
	"gitlab":    {"owner", "repo", "ref", "rev", "narHash", "lastModified", "host", "treeHash"},
	"sourcehut": {"owner", "repo", "ref", "rev", "narHash", "lastModified", "host", "treeHash"},
	"indirect":  {"id", "ref", "rev", "narHash"},
	"path":      {"path", "rev", "revCount", "lastModified", "narHash"},
	"git": {"url", "ref", "rev", "shallow", "submodules", "lfs", "exportIgnore", "lastModified", "revCount",
		"narHash", "allRefs", "name", "dirtyRev", "dirtyShortRev", "verifyCommit", "keytype", "publicKey", "publicKeys"},
	"tarball": {"url", "narHash", "name", "unpack", "rev", "revCount", "lastModified"},
	"file":    {"url", "narHash", "name", "unpack", "rev", "revCount", "lastModified"},
}

// flakeRefToString is FlakeRef::fromAttrs followed by to_string.
func flakeRefToString(attrs flakeAttrs) (string, *flakeError) {
	attrs = maps.Clone(attrs)
	dir, hasDir := attrs["dir"]
	delete(attrs, "dir")
	if hasDir && dir.kind != 's' {
		return "", flakeErr("input attribute 'dir' is not a string %s", attrsJSON(attrs))
	}
	t, ok := attrs["type"]
	if !ok {
		return "", flakeErr("'type' attribute to specify input scheme is required but not provided")
	}
	if t.kind != 's' {
		return "", flakeErr("input attribute 'type' is not a string %s", attrsJSON(attrs))
	}
	allowed, known := flakeAllowedAttrs[t.s]
	if !known {
		return "", flakeErr("cannot show unsupported input '%s'", attrsJSON(attrs))
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		if name != "type" && name != "__final" && !slices.Contains(allowed, name) {
			return "", flakeErr("input attribute '%s' not supported by scheme '%s'", name, t.s)
		}
	}
	var err *flakeError
	switch t.s {
	case "github", "gitlab", "sourcehut":
		err = gitArchiveCheck(attrs)
	case "indirect":
		id, e := getStrAttr(attrs, "id")
		if e == nil && !flakeIDRE.MatchString(id) {
			e = badURL("'%s' is not a valid flake ID", id)
		}
		err = e
	case "path":
		_, err = getStrAttr(attrs, "path")
	case "git":
		err = gitCheck(attrs)
	}
	if err == nil {
		err = fixupInput(attrs)
	}
	if err != nil {
		return "", err
	}
	u, err := inputToURL(t.s, attrs)
	if err != nil {
		return "", err
	}
	if hasDir && dir.s != "" {
		if _, exists := u.query["dir"]; !exists {
			u.query["dir"] = dir.s
		}
	}
	return u.String(), nil
}

// inputToURL is the schemes' toURL.
func inputToURL(scheme string, attrs flakeAttrs) (*parsedURL, *flakeError) {
	u := &parsedURL{scheme: scheme, query: map[string]string{}}
	ref, hasRef := attrs["ref"]
	var rev string
	if r, ok := attrs["rev"]; ok {
		h, err := parseRev(r.s)
		if err != nil {
			return nil, err
		}
		rev = h
	}
	narHash := func() *flakeError {
		n, ok := attrs["narHash"]
		if !ok {
			return nil
		}
		if n.s == "" {
			u.query["narHash"] = nixhash.Zero(nixhash.SHA256).SRI()
			return nil
		}
		h, err := nixhash.ParseSRI(n.s)
		if err != nil {
			return flakeErr("invalid SRI hash '%s'", n.s)
		}
		if h.Algorithm() != nixhash.SHA256 {
			return flakeErr("narHash must use SHA-256")
		}
		u.query["narHash"] = h.SRI()
		return nil
	}
	switch scheme {
	case "github", "gitlab", "sourcehut":
		u.path = []string{attrs["owner"].s, attrs["repo"].s}
		if hasRef {
			u.path = append(u.path, ref.s)
		}
		if rev != "" {
			u.path = append(u.path, rev)
		}
		if err := narHash(); err != nil {
			return nil, err
		}
		if host, ok := attrs["host"]; ok {
			u.query["host"] = host.s
		}
	case "indirect":
		u.scheme = "flake"
		u.path = []string{attrs["id"].s}
		if hasRef {
			u.path = append(u.path, ref.s)
		}
		if rev != "" {
			u.path = append(u.path, rev)
		}
	case "path":
		u.path = strings.Split(attrs["path"].s, "/")
		for name, a := range attrs {
			switch name {
			case "path", "type", "__final":
				continue
			}
			switch a.kind {
			case 'i':
				u.query[name] = strconv.FormatUint(a.i, 10)
			case 'b':
				u.query[name] = map[bool]string{true: "1", false: "0"}[a.b]
			default:
				u.query[name] = a.s
			}
		}
	case "git":
		pu, err := parseURL(attrs["url"].s)
		if err != nil {
			return nil, err
		}
		u = pu
		if u.scheme != "git" {
			u.scheme = "git+" + u.scheme
		}
		if rev != "" {
			u.query["rev"] = rev
		}
		if hasRef {
			u.query["ref"] = ref.s
		}
		for _, name := range []string{"shallow", "lfs", "submodules", "exportIgnore", "verifyCommit"} {
			if a, ok := attrs[name]; ok && a.b {
				u.query[name] = "1"
			}
		}
		if k, ok := attrs["publicKey"]; ok {
			u.query["publicKey"] = k.s
			kt := "ssh-ed25519"
			if t, ok := attrs["keytype"]; ok {
				kt = t.s
			}
			u.query["keytype"] = kt
		}
	case "tarball", "file":
		pu, err := parseURL(attrs["url"].s)
		if err != nil {
			return nil, err
		}
		u = pu
		if err := narHash(); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// getStrAttr is fetchers::getStrAttr.
func getStrAttr(attrs flakeAttrs, name string) (string, *flakeError) {
	a, ok := attrs[name]
	if !ok {
		return "", flakeErr("input attribute '%s' is missing", name)
	}
	if a.kind != 's' {
		return "", flakeErr("input attribute '%s' is not a string %s", name, attrsJSON(attrs))
	}
	return a.s, nil
}

// parseRev is Hash::parseAny(rev, SHA1) and gitRev(): a commit hash in
// base 16.
func parseRev(s string) (string, *flakeError) {
	h, err := nixhash.ParseAny(s, nixhash.SHA1)
	if err != nil {
		return "", flakeErr("invalid commit hash '%s'", s)
	}
	return h.Base16(), nil
}

// attrsJSON shows attributes as Nix's attrsToJSON(...).dump() does.
func attrsJSON(attrs flakeAttrs) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(attrs)) {
		if i > 0 {
			b.WriteByte(',')
		}
		jsonString(&b, k)
		b.WriteByte(':')
		switch a := attrs[k]; a.kind {
		case 'i':
			b.WriteString(strconv.FormatUint(a.i, 10))
		case 'b':
			b.WriteString(strconv.FormatBool(a.b))
		default:
			jsonString(&b, a.s)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// isLegalRefName reports whether s is a valid Git reference, branch or
// tag name (git check-ref-format's rules, as libgit2 has them).
func isLegalRefName(s string) bool {
	if s == "" || s == "@" || strings.HasSuffix(s, "/") || strings.HasSuffix(s, ".") ||
		strings.Contains(s, "..") || strings.Contains(s, "@{") || strings.Contains(s, "//") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7F || strings.IndexByte(" ~^:?*[\\", c) >= 0 {
			return false
		}
	}
	for _, comp := range strings.Split(s, "/") {
		if comp == "" || strings.HasPrefix(comp, ".") || strings.HasSuffix(comp, ".lock") {
			return false
		}
	}
	return true
}
