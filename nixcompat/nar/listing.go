package nar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Listing describes an archive's tree without its contents: what binary
// caches publish next to a NAR as <hash>.ls, so that clients can list or
// fetch single files (by byte range, with NarOffset) without the whole
// archive.
type Listing struct {
	Root *Node
}

// Node is one node of a Listing.
type Node struct {
	Type Type
	// Size, Executable and NarOffset (where the contents start in the
	// archive) describe a regular file.
	Size       int64
	Executable bool
	NarOffset  int64
	// Target is a symbolic link's target.
	Target string
	// Entries are a directory's entries, sorted by name.
	Entries []Entry
}

// Entry is a named entry of a directory Node.
type Entry struct {
	Name string
	Node *Node
}

// List reads an archive and returns its listing.
func List(r io.Reader) (*Listing, error) {
	nr := NewReader(r)
	var stack []*Node // open directories
	var paths []string
	var root *Node
	for {
		h, err := nr.Next()
		if err == io.EOF {
			return &Listing{Root: root}, nil
		}
		if err != nil {
			return nil, err
		}
		n := &Node{Type: h.Type, Size: h.Size, Executable: h.Executable, Target: h.LinkTarget}
		if h.Type == TypeRegular {
			n.NarOffset = nr.Offset()
		}
		if root == nil {
			root = n
		} else {
			dir, name := splitPath(h.Path)
			for paths[len(paths)-1] != dir {
				stack, paths = stack[:len(stack)-1], paths[:len(paths)-1]
			}
			d := stack[len(stack)-1]
			d.Entries = append(d.Entries, Entry{Name: name, Node: n})
		}
		if h.Type == TypeDirectory {
			stack, paths = append(stack, n), append(paths, h.Path)
		}
	}
}

// Lookup returns the node at path ("/" or "/a/b"; "" is the root too). It
// does not follow symbolic links. A missing node is an error wrapping
// fs.ErrNotExist.
func (n *Node) Lookup(path string) (*Node, error) {
	cur := n
	rest := strings.TrimPrefix(path, "/")
	for rest != "" {
		name := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			name, rest = rest[:i], rest[i+1:]
			if rest == "" {
				// A trailing slash names nothing, as in Nix.
				return nil, fmt.Errorf("nar: %q: %w", path, fs.ErrNotExist)
			}
		} else {
			rest = ""
		}
		if cur.Type != TypeDirectory {
			return nil, fmt.Errorf("nar: %q: %w", path, fs.ErrNotExist)
		}
		i, found := slices.BinarySearchFunc(cur.Entries, name, func(e Entry, name string) int {
			return strings.Compare(e.Name, name)
		})
		if !found {
			return nil, fmt.Errorf("nar: %q: %w", path, fs.ErrNotExist)
		}
		cur = cur.Entries[i].Node
	}
	return cur, nil
}

// MarshalJSON encodes the listing exactly as Nix writes .ls files:
// {"version":1,"root":{...}}.
func (l *Listing) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"version":1,"root":`)
	l.Root.appendJSON(&b, true)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// JSON encodes the node as Nix does in .ls files and in nix nar ls --json.
// When recursive is false, a directory's entries are listed as empty
// objects, as nix nar ls --json does without --recursive.
func (n *Node) JSON(recursive bool) []byte {
	var b bytes.Buffer
	n.appendJSON(&b, recursive)
	return b.Bytes()
}

func (n *Node) appendJSON(b *bytes.Buffer, recursive bool) {
	switch n.Type {
	case TypeRegular:
		b.WriteString(`{"type":"regular","size":`)
		b.WriteString(strconv.FormatInt(n.Size, 10))
		if n.Executable {
			b.WriteString(`,"executable":true`)
		}
		if n.NarOffset != 0 {
			b.WriteString(`,"narOffset":`)
			b.WriteString(strconv.FormatInt(n.NarOffset, 10))
		}
		b.WriteByte('}')
	case TypeSymlink:
		b.WriteString(`{"type":"symlink","target":`)
		appendJSONString(b, n.Target)
		b.WriteByte('}')
	case TypeDirectory:
		b.WriteString(`{"type":"directory","entries":{`)
		for i, e := range n.Entries {
			if i > 0 {
				b.WriteByte(',')
			}
			appendJSONString(b, e.Name)
			b.WriteByte(':')
			if recursive {
				e.Node.appendJSON(b, true)
			} else {
				b.WriteString("{}")
			}
		}
		b.WriteString("}}")
	}
}

// appendJSONString quotes s as Nix's JSON writer does: it escapes '"',
// '\\', control characters (\n, \r, \t by name) and passes every other
// byte through unchanged, even when s is not UTF-8.
func appendJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// UnmarshalJSON decodes a .ls listing. It checks what a listing promises:
// known types, valid and unique entry names, non-negative sizes.
func (l *Listing) UnmarshalJSON(data []byte) error {
	var top struct {
		Version int             `json:"version"`
		Root    json.RawMessage `json:"root"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("nar: listing: %w", err)
	}
	if top.Version != 1 {
		return fmt.Errorf("nar: listing: unsupported version %d", top.Version)
	}
	root, err := decodeNode(top.Root, 0)
	if err != nil {
		return fmt.Errorf("nar: listing: %w", err)
	}
	l.Root = root
	return nil
}

func decodeNode(data json.RawMessage, depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, ErrTooDeep
	}
	var raw struct {
		Type       string                     `json:"type"`
		Size       int64                      `json:"size"`
		Executable bool                       `json:"executable"`
		NarOffset  int64                      `json:"narOffset"`
		Target     string                     `json:"target"`
		Entries    map[string]json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	n := &Node{Size: raw.Size, Executable: raw.Executable, NarOffset: raw.NarOffset, Target: raw.Target}
	switch raw.Type {
	case "regular":
		n.Type = TypeRegular
		if raw.Size < 0 || raw.NarOffset < 0 {
			return nil, fmt.Errorf("negative size or offset")
		}
	case "symlink":
		n.Type = TypeSymlink
		if err := validTarget(raw.Target); err != nil {
			return nil, err
		}
	case "directory":
		n.Type = TypeDirectory
		for name, child := range raw.Entries {
			if err := CheckName(name); err != nil {
				return nil, err
			}
			c, err := decodeNode(child, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			n.Entries = append(n.Entries, Entry{Name: name, Node: c})
		}
		slices.SortFunc(n.Entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	default:
		return nil, fmt.Errorf("unknown node type %q", raw.Type)
	}
	return n, nil
}
