package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/govix/govix/nixcompat/storepath"
)

// Closure returns the PathInfos of roots and of everything they refer to,
// directly or not, sorted by store path. A path that is missing is an
// error wrapping ErrNotFound that names it.
func Closure(ctx context.Context, pis PathInfoService, roots []storepath.StorePath) ([]*PathInfo, error) {
	seen := map[storepath.StorePath]*PathInfo{}
	queue := slices.Clone(roots)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if _, ok := seen[p]; ok {
			continue
		}
		info, err := pis.Get(ctx, p.Digest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", storepath.DefaultStoreDir.Print(p), err)
		}
		if info.StorePath != p {
			return nil, fmt.Errorf("%w: %s: the store has %s under its hash", ErrNotFound, storepath.DefaultStoreDir.Print(p), info.StorePath)
		}
		seen[p] = info
		for _, r := range info.References {
			if _, ok := seen[r]; !ok {
				queue = append(queue, r)
			}
		}
	}
	out := make([]*PathInfo, 0, len(seen))
	for _, info := range seen {
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b *PathInfo) int { return a.StorePath.Compare(b.StorePath) })
	return out, nil
}

// TopoSort orders infos so that every path comes after the paths it
// refers to (among infos), the order in which to add them to a store.
// Self references are ignored; the order is otherwise by store path.
func TopoSort(infos []*PathInfo) ([]*PathInfo, error) {
	byPath := make(map[storepath.StorePath]*PathInfo, len(infos))
	for _, i := range infos {
		byPath[i.StorePath] = i
	}
	sorted := slices.Clone(infos)
	slices.SortFunc(sorted, func(a, b *PathInfo) int { return a.StorePath.Compare(b.StorePath) })
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[storepath.StorePath]int{}
	out := make([]*PathInfo, 0, len(infos))
	var visit func(i *PathInfo) error
	visit = func(i *PathInfo) error {
		switch state[i.StorePath] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("%w: reference cycle through %s", ErrInvalid, i.StorePath)
		}
		state[i.StorePath] = visiting
		for _, r := range i.References {
			if ri, ok := byPath[r]; ok && r != i.StorePath {
				if err := visit(ri); err != nil {
					return err
				}
			}
		}
		state[i.StorePath] = done
		out = append(out, i)
		return nil
	}
	for _, i := range sorted {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}
