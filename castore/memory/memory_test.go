package memory_test

import (
	"testing"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/castoretest"
	"github.com/govix/govix/castore/memory"
)

func TestConformance(t *testing.T) {
	castoretest.Run(t, func(*testing.T) *castore.Store { return memory.New() })
}
