package rdbms

import "sync"

// MaxPools is how many addresses a driver keeps a connection pool for
// (Spin's bound); beyond it the least recently used pool is closed.
const MaxPools = 16

// Pools caches a driver's connection pools by address. It is safe for
// concurrent use.
type Pools[P any] struct {
	newPool   func(address string) (P, error)
	closePool func(P)

	mu    sync.Mutex
	pools map[string]*poolEntry[P]
	uses  uint64
}

type poolEntry[P any] struct {
	pool    P
	lastUse uint64
}

// NewPools returns an empty cache: newPool makes the pool of an address,
// closePool closes one (evicted pools are closed in the background, since
// closing may wait for connections in use).
func NewPools[P any](newPool func(address string) (P, error), closePool func(P)) *Pools[P] {
	return &Pools[P]{newPool: newPool, closePool: closePool, pools: map[string]*poolEntry[P]{}}
}

// Get returns address's pool, making it if needed.
func (c *Pools[P]) Get(address string) (P, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.uses++
	if e, ok := c.pools[address]; ok {
		e.lastUse = c.uses
		return e.pool, nil
	}
	p, err := c.newPool(address)
	if err != nil {
		return p, err
	}
	if len(c.pools) >= MaxPools {
		var oldest string
		for a, e := range c.pools {
			if oldest == "" || e.lastUse < c.pools[oldest].lastUse {
				oldest = a
			}
		}
		go c.closePool(c.pools[oldest].pool)
		delete(c.pools, oldest)
	}
	c.pools[address] = &poolEntry[P]{pool: p, lastUse: c.uses}
	return p, nil
}

// Close closes every pool.
func (c *Pools[P]) Close() {
	c.mu.Lock()
	pools := c.pools
	c.pools = map[string]*poolEntry[P]{}
	c.mu.Unlock()
	for _, e := range pools {
		c.closePool(e.pool)
	}
}
