//go:build !linux

package eval

import "os"

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
