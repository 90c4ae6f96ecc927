// Package compilecache bounds the node's compiled-code cache: the directory
// where app processes keep serialized compiled wasm, one entry per binary and
// engine configuration (KEY.cwasm, the code, and KEY.sum, its checksum).
//
// BoundWhenIdle removes least recently used entries until the cache fits its cap.
// An entry's last use is its checksum file's modification time, which an app
// process touches when it loads the entry. An entry in use is never removed:
// app processes hold a shared flock on the code file for as long as they
// use the compiled code, and eviction takes an exclusive lock without
// waiting, skipping the entry when it cannot. Entries an app is still
// starting with are not locked yet, so each start holds the cache's start
// lock shared (HoldForStart) until its app has loaded, and BoundWhenIdle
// evicts only under that lock held exclusively.
package compilecache
