package capi

import (
	"bytes"
	"crypto/sha256"
	"os"
	"sync"
)

// Cache is a compile cache directory (cache.go) with what this process
// reads once for all its entries: the boot id of their write stamps
// (writeStamp). A nil *Cache is no cache.
type Cache struct {
	dir  string
	boot func() string
}

// NewCache is the compile cache in dir; nil (no cache) for "".
func NewCache(dir string) *Cache {
	if dir == "" {
		return nil
	}
	return &Cache{dir: dir, boot: sync.OnceValue(readBootID)}
}

// entry is entryFiles in c.
func (c *Cache) entry(wasmSum [sha256.Size]byte, configID string) (code, sum string) {
	return entryFiles(c.dir, wasmSum, configID)
}

// bootIDPath holds an id the kernel draws at each boot.
const bootIDPath = "/proc/sys/kernel/random/boot_id"

// readBootID is the id of this boot, "" when this process cannot read it.
func readBootID() string {
	boot, err := os.ReadFile(bootIDPath)
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(boot))
}
