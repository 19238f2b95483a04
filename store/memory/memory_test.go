package memory_test

import (
	"testing"

	cmemory "github.com/govix/govix/castore/memory"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/memory"
	"github.com/govix/govix/store/pathinfotest"
)

func TestConformance(t *testing.T) {
	pathinfotest.Run(t, func(t *testing.T) *store.Store {
		return store.NewStore(cmemory.New(), memory.New(), nil, nil)
	})
}
