package lru

import "testing"

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[int, string](2)
	c.Add(1, "a")
	c.Add(2, "b")
	c.Get(1) // 2 is now the least recently used
	c.Add(3, "c")
	if _, ok := c.Get(2); ok {
		t.Error("2 was not evicted")
	}
	for _, k := range []int{1, 3} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%d was evicted", k)
		}
	}
	if v, ok := c.Remove(1); !ok || v != "a" || c.Len() != 1 {
		t.Errorf("Remove(1) = %q %v, len %d", v, ok, c.Len())
	}
}
