package local_test

import (
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/local"
)

func TestConformance(t *testing.T) {
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		s, err := local.Open(t.Context(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.Castore()
	})
}

// TestConformanceSmallPacks runs the suite with tiny packs and flushes, so
// that pack rotation and flushes in the middle of a blob are exercised.
func TestConformanceSmallPacks(t *testing.T) {
	castoretest.Run(t, func(t *testing.T) *castore.Store {
		s, err := local.Open(t.Context(), t.TempDir(), &local.Options{MaxPackSize: 3 << 20, FlushEntries: 7, FlushBytes: 2 << 20})
		if err != nil {
			t.Fatal(err)
		}
		return s.Castore()
	})
}
