//go:build unix && !linux

package nar

import "os"

func (*osTree) readDir(name string) ([]dirEntry, error) {
	entries, err := os.ReadDir(name)
	return fromDirEntries(entries), err
}
