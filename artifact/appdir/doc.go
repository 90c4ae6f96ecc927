// Package appdir builds and reads the application directory a Spin app
// runs from, and describes it as an App: the local lock plus, per
// component, the absolute path of its wasm and its mounts.
//
// Materialize writes the directory from a lock whose content is inline or
// addressed by digest (as pushed to a registry) and a Content source of
// blobs, verifying every digest and confining every write to the
// directory:
//
//	dir/spin.lock                   local lock (file:// sources)
//	dir/wasm/<hex>.wasm             each distinct component (and dependency) wasm
//	dir/files/<component-id>/<path> each files entry
//
// With Content.Store set, the files (wasm included) are read-only hard
// links into a node-wide, digest-addressed Store rather than copies: each
// content is written and verified once per node, and Store.Collect removes
// what no app directory links to any more.
//
// Open reads such a directory back; FromLocal describes a local lock
// written by other means. The lock itself is package lock's pure data.
package appdir
