package appdirs

import (
	"os"
	"path/filepath"
)

// RuntimeName is the containerd runtime type the shim implements; the
// shim's state root under containerd's root is named after it.
const RuntimeName = "io.containerd.spinoci.v1"

// StateRootEnv overrides where the shim keeps app directories and its
// compiled-module cache.
const StateRootEnv = "SPINOCI_STATE_DIR"

// CacheDirEnv overrides where compiled modules are cached.
const CacheDirEnv = "SPINOCI_CACHE_DIR"

// fallbackStateRoot is used when neither the environment nor the bundle
// tells where containerd keeps its persistent state.
const fallbackStateRoot = "/var/lib/spinoci"

// Paths says where one container's files live outside its bundle.
type Paths struct {
	// Root is the shim's state root, shared by all containers of one containerd.
	Root string
	// ContainerdRoot is the root directory of the containerd that started
	// the shim ("" when the bundle does not tell).
	ContainerdRoot string
}

// StateRootFor finds the shim's state root for a bundle. containerd links
// <bundle>/work to <containerd root>/io.containerd.runtime.v2.task/<ns>/<id>;
// keeping our state beside it ties it to that containerd (a private test
// daemon gets a private cache) and to its disk rather than to tmpfs.
func StateRootFor(bundle string) Paths {
	var p Paths
	if work, err := os.Readlink(filepath.Join(bundle, "work")); err == nil && filepath.IsAbs(work) {
		p.ContainerdRoot = filepath.Dir(filepath.Dir(filepath.Dir(work)))
	}
	switch {
	case os.Getenv(StateRootEnv) != "":
		p.Root = os.Getenv(StateRootEnv)
	case p.ContainerdRoot != "":
		p.Root = filepath.Join(p.ContainerdRoot, RuntimeName)
	default:
		p.Root = fallbackStateRoot
	}
	return p
}

// AppDir is where a container's app is materialised.
func (p Paths) AppDir(namespace, id string) string {
	return filepath.Join(p.appsDir(), namespace, id)
}

// appsDir holds the app directories, one directory per namespace.
func (p Paths) appsDir() string {
	return filepath.Join(p.Root, "apps")
}

// FileStoreDir is the node's file store (appdir.Store): each file of every
// app once, app directories holding hard links to it. It sits beside apps/
// (hard links need one filesystem) and outside the compile cache, which the
// compile stage may write.
func (p Paths) FileStoreDir() string {
	return filepath.Join(p.Root, "store")
}

// ContentBlobsDir is where containerd's local content store keeps each
// blob as a read-only file, <algorithm>/<encoded digest> (its plugin
// io.containerd.content.v1.content, under containerd's root): the file
// store links a blob's file from there rather than copy it through
// containerd's API, when both are on one filesystem (by default they are:
// the state root is under containerd's root). "" when containerd's root
// is unknown.
func (p Paths) ContentBlobsDir() string {
	if p.ContainerdRoot == "" {
		return ""
	}
	return filepath.Join(p.ContainerdRoot, "io.containerd.content.v1.content", "blobs")
}

// Files says where the files of an app directory are kept.
func (p Paths) Files() FileSources {
	return FileSources{StoreDir: p.FileStoreDir(), ContentBlobsDir: p.ContentBlobsDir()}
}

// FileSources are the node's file store (StoreDir) and the directory of
// containerd's blob files it links from (ContentBlobsDir, may be "").
type FileSources struct {
	StoreDir        string
	ContentBlobsDir string
}

// CacheDir holds compiled modules, shared by all apps. SPINOCI_CACHE_DIR
// moves it on its own (e.g. to share it between test daemons).
func (p Paths) CacheDir() string {
	if dir := os.Getenv(CacheDirEnv); dir != "" {
		return dir
	}
	return filepath.Join(p.Root, "cache")
}
