package local

import (
	"sync"

	"github.com/govix/govix/castore"
)

// maxCachedLocations bounds the location cache (about 80 bytes an entry).
const maxCachedLocations = 1 << 20

// locationCache remembers where committed chunks are. The index maps a
// digest to one location for good (packs are append-only and committed
// bytes are never moved), so an entry never goes stale, even when other
// processes write: serving a NAR a second time costs no index lookups.
type locationCache struct {
	mu sync.RWMutex
	m  map[castore.Digest]location
}

func (c *locationCache) get(d castore.Digest) (location, bool) {
	c.mu.RLock()
	l, ok := c.m[d]
	c.mu.RUnlock()
	return l, ok
}

func (c *locationCache) put(d castore.Digest, l location) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedLocations {
		c.m = make(map[castore.Digest]location)
	}
	c.m[d] = l
	c.mu.Unlock()
}
