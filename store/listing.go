package store

import (
	"context"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/nar"
)

// Listing returns the listing of n's NAR (what binary caches publish as
// .ls files): its tree with every file's size and offset in the NAR,
// computed from the directories alone.
func Listing(ctx context.Context, dirs castore.DirectoryService, n castore.Node) (*nar.Listing, error) {
	l, ds, err := computeLayoutDirs(ctx, dirs, n, true)
	if err != nil {
		return nil, err
	}
	return &nar.Listing{Root: listNode("/", n, l, ds)}, nil
}

func listNode(path string, n castore.Node, l *narLayout, ds map[castore.Digest]*castore.Directory) *nar.Node {
	switch n.Kind {
	case castore.KindFile:
		return &nar.Node{Type: nar.TypeRegular, Size: int64(n.Size), Executable: n.Executable, NarOffset: int64(l.files[path])}
	case castore.KindSymlink:
		return &nar.Node{Type: nar.TypeSymlink, Target: n.Target}
	}
	out := &nar.Node{Type: nar.TypeDirectory}
	d := ds[n.Digest]
	for i := range d.Entries {
		e := &d.Entries[i]
		p := path + "/" + e.Name
		if path == "/" {
			p = "/" + e.Name
		}
		out.Entries = append(out.Entries, nar.Entry{Name: e.Name, Node: listNode(p, e.Node, l, ds)})
	}
	return out
}
