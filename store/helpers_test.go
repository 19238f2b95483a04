package store_test

import (
	"testing"

	"github.com/govix/govix/store"
	"github.com/govix/govix/store/pathinfotest"
)

func seedInfos(t testing.TB, st *store.Store) []*store.PathInfo {
	return []*store.PathInfo{
		pathinfotest.Fixture(t, st, "seed-1", "one"),
		pathinfotest.Fixture(t, st, "seed-2.drv", ""),
	}
}
