package eval

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"

	"github.com/govix/govix/eval/syntax"
	"github.com/govix/govix/nixcompat/derivation"
	"github.com/govix/govix/nixcompat/nixhash"
)

// Builtins that read files through the evaluator's IO: readFile,
// readFileType, readDir, pathExists, hashFile; and the path helpers toPath
// and placeholder. Symbolic links are resolved as current Nix's
// SourcePath::resolveSymlinks does: component by component, all of them
// (readFile, readDir, hashFile) or all but the last (readFileType; and
// pathExists, unless the string asks for a directory with a trailing
// "/" or "/.").

func init() {
	register(
		&Builtin{Name: "readFile", Arity: 1, Fn: builtinReadFile},
		&Builtin{Name: "readFileType", Arity: 1, Fn: builtinReadFileType},
		&Builtin{Name: "readDir", Arity: 1, Fn: builtinReadDir},
		&Builtin{Name: "pathExists", Arity: 1, Fn: builtinPathExists},
		&Builtin{Name: "hashFile", Arity: 2, Fn: builtinHashFile},
		&Builtin{Name: "toPath", Arity: 1, Fn: builtinToPath},
		&Builtin{Name: "placeholder", Arity: 1, Global: true, Fn: builtinPlaceholder},
	)
}

// symlinkMode says which components of a path resolveSymlinks follows.
type symlinkMode uint8

const (
	resolveNone      symlinkMode = iota
	resolveAncestors             // all but the last component
	resolveFull                  // every component
)

// realiseArgPath is EvalState::realisePath for argument i: the argument
// coerced to an absolute path ("while realising the context of a path"),
// its symbolic links resolved.
func (c Call) realiseArgPath(i int, mode symlinkMode) string {
	ev := c.Ev
	v := ev.force(c.Args[i])
	p, ctx := ev.coerceToPath(syntax.NoPos, v, "while realising the context of a path")
	ev.realiseContext(c.Pos, ctx)
	return c.resolveSymlinks(p, mode)
}

// resolveSymlinks follows the symbolic links in the canonical path p.
func (c Call) resolveSymlinks(p string, mode symlinkMode) string {
	if mode == resolveNone || p == "/" {
		return p
	}
	// Until a component turns out to be a symbolic link (rare), the
	// result is p itself: check its prefixes without building strings.
	ev := c.Ev
	for end := 0; end < len(p); {
		next := strings.IndexByte(p[end+1:], '/')
		last := next < 0
		if last {
			next = len(p)
		} else {
			next += end + 1
		}
		if comp := p[end+1 : next]; comp == "" || comp == "." || comp == ".." {
			break
		}
		if mode != resolveFull && last {
			return p
		}
		st, err := ev.io.Lstat(ev.ctx, p[:next])
		if err == nil && st.Mode()&fs.ModeSymlink != 0 {
			break
		}
		if last {
			return p
		}
		end = next
	}
	return c.resolveSymlinksSlow(p, mode)
}

// resolveSymlinksSlow is resolveSymlinks for a path with a symbolic link
// (or a component to resolve lexically) in it.
func (c Call) resolveSymlinksSlow(p string, mode symlinkMode) string {
	ev := c.Ev
	todo := strings.Split(p[1:], "/")
	res := ""
	linksAllowed := 1024
	for len(todo) > 0 {
		comp := todo[0]
		todo = todo[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			if i := strings.LastIndexByte(res, '/'); i >= 0 {
				res = res[:i]
			}
			continue
		}
		res += "/" + comp
		if mode != resolveFull && len(todo) == 0 {
			break
		}
		st, err := ev.io.Lstat(ev.ctx, res)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if linksAllowed == 0 {
			c.Errorf(EvalError, "infinite symlink recursion in path '%s'", p)
		}
		linksAllowed--
		target, err := ev.io.Readlink(ev.ctx, res)
		if err != nil {
			c.Errorf(EvalError, "reading symbolic link '%s': %v", res, err)
		}
		if strings.HasPrefix(target, "/") {
			res = ""
		} else {
			res = res[:strings.LastIndexByte(res, '/')]
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if res == "" {
		return "/"
	}
	return res
}

// fileError raises Nix's error for a failed file operation on p.
func (c Call) fileError(p string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		c.Errorf(EvalError, "path '%s' does not exist", p)
	}
	c.Errorf(EvalError, "reading '%s': %v", p, unwrapPathError(err))
}

// readFileArg reads the file argument i names.
func (c Call) readFileArg(i int) (string, []byte) {
	p := c.realiseArgPath(i, resolveFull)
	ev := c.Ev
	st, err := ev.io.Stat(ev.ctx, p)
	if err != nil {
		c.fileError(p, err)
	}
	if !st.Mode().IsRegular() {
		c.Errorf(EvalError, "file '%s' is not a regular file", p)
	}
	b, err := ev.io.ReadFile(ev.ctx, p)
	if err != nil {
		c.fileError(p, err)
	}
	return p, b
}

func builtinReadFile(c Call) Value {
	p, b := c.readFileArg(0)
	if bytes.IndexByte(b, 0) >= 0 {
		c.Errorf(EvalError, "the contents of the file '%s' cannot be represented as a Nix string", p)
	}
	return Str(string(b))
}

// fileTypeName is Nix's name for a file's type.
func fileTypeName(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "unknown"
}

func builtinReadFileType(c Call) Value {
	p := c.realiseArgPath(0, resolveNone)
	ev := c.Ev
	st, err := ev.io.Lstat(ev.ctx, p)
	if err != nil {
		c.fileError(p, err)
	}
	return c.Ev.fileTypeString(st.Mode())
}

// fileTypeString returns the shared string value naming a file type.
func (ev *Evaluator) fileTypeString(m fs.FileMode) Value {
	return ev.symString(ev.symbols.intern(fileTypeName(m)))
}

func builtinReadDir(c Call) Value {
	p := c.realiseArgPath(0, resolveFull)
	ev := c.Ev
	st, err := ev.io.Stat(ev.ctx, p)
	if err != nil {
		c.fileError(p, err)
	}
	if !st.IsDir() {
		c.Errorf(EvalError, "'%s' is not a directory", p)
	}
	entries, err := ev.io.ReadDir(ev.ctx, p)
	if err != nil {
		c.fileError(p, err)
	}
	attrs := make([]Attr, len(entries))
	for i, e := range entries {
		attrs[i] = Attr{Name: ev.symbols.intern(e.Name()), Value: ev.fileTypeString(e.Type())}
	}
	return ev.makeAttrs(attrs, false)
}

func builtinPathExists(c Call) Value {
	ev := c.Ev
	v := ev.force(c.Args[0])
	mustBeDir := false
	if s, ok := v.(*String); ok {
		mustBeDir = strings.HasSuffix(s.s, "/") || strings.HasSuffix(s.s, "/.")
	}
	mode := resolveAncestors
	if mustBeDir {
		mode = resolveFull
	}
	p := c.realiseArgPath(0, mode)
	st, err := ev.io.Lstat(ev.ctx, p)
	return mkBool(err == nil && (!mustBeDir || st.IsDir()))
}

func builtinHashFile(c Call) Value {
	name := c.stringNoCtxMsg(c.Args[0], "while evaluating the first argument passed to builtins.hashFile")
	algo, err := nixhash.ParseAlgorithm(name)
	if err != nil {
		c.Errorf(EvalError, "unknown hash algorithm '%s'", name)
	}
	_, b := c.readFileArg(1)
	return Str(nixhash.Sum(algo, b).Base16())
}

// builtins.toPath s: s as an absolute, canonical path string (with its
// context).
func builtinToPath(c Call) Value {
	v := c.Force(0)
	p, ctx := c.Ev.coerceToPath(syntax.NoPos, v, "while evaluating the first argument passed to builtins.toPath")
	return NewString(p, ctx)
}

// builtins.placeholder output: the string a derivation's builder finds
// in place of that output's path.
func builtinPlaceholder(c Call) Value {
	out := c.stringNoCtxMsg(c.Args[0], "while evaluating the first argument passed to builtins.placeholder")
	return Str(derivation.Placeholder(out))
}
