package shim

import (
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// RuntimeName is the containerd runtime type this shim implements.
const RuntimeName = "io.containerd.spinoci.v1"

// stateRootEnv overrides where the shim keeps app directories and its
// compiled-module cache.
const stateRootEnv = "SPINOCI_STATE_DIR"

// cacheDirEnv overrides where compiled modules are cached.
const cacheDirEnv = "SPINOCI_CACHE_DIR"

// fallbackStateRoot is used when neither the environment nor the bundle tells
// where containerd keeps its persistent state.
const fallbackStateRoot = "/var/lib/spinoci"

// statePaths says where one container's files live outside its bundle.
type statePaths struct {
	// root is the shim's state root, shared by all containers of one containerd.
	root string
	// containerdRoot is the root directory of the containerd that started
	// the shim ("" when the bundle does not tell).
	containerdRoot string
}

// stateRootFor finds the shim's state root for a bundle. containerd links
// <bundle>/work to <containerd root>/io.containerd.runtime.v2.task/<ns>/<id>;
// keeping our state beside it ties it to that containerd (a private test
// daemon gets a private cache) and to its disk rather than to tmpfs.
func stateRootFor(bundle string) statePaths {
	var p statePaths
	if work, err := os.Readlink(filepath.Join(bundle, "work")); err == nil && filepath.IsAbs(work) {
		p.containerdRoot = filepath.Dir(filepath.Dir(filepath.Dir(work)))
	}
	switch {
	case os.Getenv(stateRootEnv) != "":
		p.root = os.Getenv(stateRootEnv)
	case p.containerdRoot != "":
		p.root = filepath.Join(p.containerdRoot, RuntimeName)
	default:
		p.root = fallbackStateRoot
	}
	return p
}

// appDir is where a container's app is materialised.
func (p statePaths) appDir(namespace, id string) string {
	return filepath.Join(p.root, "apps", namespace, id)
}

// fileStoreDir is the node's file store (appdir.Store): each file of every
// app once, app directories holding hard links to it. It sits beside apps/
// (hard links need one filesystem) and outside the compile cache, which the
// compile stage may write.
func (p statePaths) fileStoreDir() string {
	return filepath.Join(p.root, "store")
}

// contentBlobsDir is where containerd's local content store keeps each
// blob as a read-only file, <algorithm>/<encoded digest> (its plugin
// io.containerd.content.v1.content, under containerd's root): the file
// store links a blob's file from there rather than copy it through
// containerd's API, when both are on one filesystem (by default they are:
// the state root is under containerd's root). "" when containerd's root
// is unknown.
func (p statePaths) contentBlobsDir() string {
	if p.containerdRoot == "" {
		return ""
	}
	return filepath.Join(p.containerdRoot, "io.containerd.content.v1.content", "blobs")
}

// appFiles says where the files of an app directory are kept.
func (p statePaths) appFiles() appFileSources {
	return appFileSources{storeDir: p.fileStoreDir(), contentBlobsDir: p.contentBlobsDir()}
}

// appFileSources are the node's file store (storeDir) and the directory of
// containerd's blob files it links from (contentBlobsDir, may be "").
type appFileSources struct {
	storeDir        string
	contentBlobsDir string
}

// cacheDir holds compiled modules, shared by all apps. SPINOCI_CACHE_DIR
// moves it on its own (e.g. to share it between test daemons).
func (p statePaths) cacheDir() string {
	if dir := os.Getenv(cacheDirEnv); dir != "" {
		return dir
	}
	return filepath.Join(p.root, "cache")
}

// appStateMount is the container path at which a volume keeps an app's
// state (key-value stores) across container restarts, like the Spin shim's
// ".spin" directory in the container root.
const appStateMount = "/.spin"

// appStateDir is where an app keeps its state: the host side of a volume
// mounted at appStateMount, else a directory inside the app directory that
// lives as long as the container.
func appStateDir(spec *specs.Spec, appDir string) string {
	for _, m := range spec.Mounts {
		if filepath.Clean(m.Destination) == appStateMount && m.Source != "" && isBindMount(m) {
			return m.Source
		}
	}
	return filepath.Join(appDir, "state")
}

func isBindMount(m specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// exitFile records a task's exit status in its bundle so that the delete
// action, which runs in a new process, can report it.
func exitFile(bundle string) string {
	return filepath.Join(bundle, "spinoci-exit.json")
}
