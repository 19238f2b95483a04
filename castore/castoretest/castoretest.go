// Package castoretest is the conformance suite for castore backends: every
// BlobService and DirectoryService implementation must pass Run. A new
// backend is done when it does.
package castoretest

import (
	"context"
	"testing"

	"github.com/govix/govix/castore"
)

// Factory returns a new, empty store for one test. The suite closes it.
type Factory func(t *testing.T) *castore.Store

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	t.Run("Blobs", func(t *testing.T) { RunBlobs(t, newStore) })
	t.Run("Directories", func(t *testing.T) { RunDirectories(t, newStore) })
}

// open makes a store for one subtest and closes it when the test ends.
func open(t *testing.T, newStore Factory) (context.Context, *castore.Store) {
	t.Helper()
	s := newStore(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return t.Context(), s
}
