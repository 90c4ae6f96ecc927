package shim

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/pelletier/go-toml/v2"

	"github.com/spinoci/spinoci/shim/sandbox"
)

// runtimeConfigMount is where a container's Spin runtime config is, as
// the Spin containerd shim reads it.
const runtimeConfigMount = "/runtime-config.toml"

// runtimeConfigPlan is how the app reaches the container's runtime config
// and the files it names, from inside its sandbox.
type runtimeConfigPlan struct {
	// hostPath is the file to read ("": the container has none).
	hostPath string
	// name is the file's path in the container: the base of its relative
	// paths and what messages call it.
	name string
	// mount binds the file, or the directory holding it, read-only.
	mount sandbox.Mount
	// volumes are the container's volumes that the file's paths are on.
	volumes []volume
}

// volume is a bind mount of the container's spec.
type volume struct {
	dest, source string
	readOnly     bool
	// file: the source is a file, not a directory (a Kubernetes subPath
	// mount of one file, `ctr run --mount` of a file).
	file bool
}

// args are the app's arguments for the volumes ("DEST=SOURCE").
func (p runtimeConfigPlan) volumeArgs() []string {
	var args []string
	for _, v := range p.volumes {
		args = append(args, v.dest+"="+v.source)
	}
	return args
}

// planRuntimeConfig finds the container's runtimeConfigMount: the source of
// a bind mount there, which is the file itself (a host file, or a
// Kubernetes Secret key mounted with subPath) or a directory holding a
// runtime-config.toml (a whole Secret volume mounted there). Its paths
// (every "path" or "*_path" key: SQLite files, dotenv files) are paths in
// the container, relative ones relative to the file's directory there, as
// they are for a shim that runs inside the container's root; each must be
// on one of the spec's bind mounts, whose host source the app gets. A path
// on none is an error naming it and what to mount. A file that does not
// parse is left to the app, which reports where it is wrong.
func planRuntimeConfig(spec *specs.Spec) (runtimeConfigPlan, error) {
	var p runtimeConfigPlan
	for _, m := range spec.Mounts {
		if filepath.Clean(m.Destination) != runtimeConfigMount || m.Source == "" || !isBindMount(m) {
			continue
		}
		p.hostPath, p.name = m.Source, runtimeConfigMount
		if fi, err := os.Stat(m.Source); err == nil && fi.IsDir() {
			p.hostPath = filepath.Join(m.Source, filepath.Base(runtimeConfigMount))
			p.name = path.Join(runtimeConfigMount, filepath.Base(runtimeConfigMount))
		}
		p.mount = sandbox.Mount{Kind: sandbox.Bind, ReadOnly: true, Source: m.Source, Dest: m.Source}
	}
	if p.hostPath == "" {
		return p, nil
	}
	data, err := os.ReadFile(p.hostPath)
	if err != nil {
		return p, fmt.Errorf("reading the runtime config %s: %w", p.name, err)
	}
	var top map[string]any
	if toml.Unmarshal(data, &top) != nil {
		return p, nil
	}
	for _, ref := range filePaths(top, "") {
		in := ref.value
		if !path.IsAbs(in) {
			in = path.Join(path.Dir(p.name), in)
		}
		v, ok := volumeOf(spec, path.Clean(in))
		if !ok {
			return p, fmt.Errorf("runtime config %s: %s = %q is %s in the container, which is on no volume: %s",
				p.name, ref.key, ref.value, path.Clean(in), whatToMount(path.Clean(in)))
		}
		if fi, err := os.Stat(v.source); err == nil && !fi.IsDir() {
			v.file = true
		}
		if !slices.Contains(p.volumes, v) {
			p.volumes = append(p.volumes, v)
		}
	}
	return p, nil
}

// whatToMount tells the user how to make the container path file
// reachable.
func whatToMount(file string) string {
	if dir := path.Dir(file); dir != "/" {
		return fmt.Sprintf("mount a volume at %s (or a directory above it)", dir)
	}
	return "use a path in a directory with a volume mounted there (such as /data/" + path.Base(file) + " with a volume at /data)"
}

// volumeOf returns the bind mount of spec that holds the container path
// file: the one with the longest destination that is file or a parent of
// it.
func volumeOf(spec *specs.Spec, file string) (volume, bool) {
	var best volume
	found := false
	for _, m := range spec.Mounts {
		dest := path.Clean(m.Destination)
		if m.Source == "" || !isBindMount(m) || (found && len(dest) <= len(best.dest)) {
			continue
		}
		if dest == file || dest == "/" || strings.HasPrefix(file, dest+"/") {
			best = volume{dest: dest, source: m.Source, readOnly: slices.Contains(m.Options, "ro")}
			found = true
		}
	}
	return best, found
}

// pathRef is a file path found in the runtime config, with the dotted key
// that holds it.
type pathRef struct{ key, value string }

// filePaths returns the runtime config's file paths: the string values of
// keys named "path" or ending in "_path", at any depth, in key order.
func filePaths(v any, key string) []pathRef {
	var refs []pathRef
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			sub := k
			if key != "" {
				sub = key + "." + k
			}
			if s, ok := v[k].(string); ok && s != "" && (k == "path" || strings.HasSuffix(k, "_path")) {
				refs = append(refs, pathRef{key: sub, value: s})
				continue
			}
			refs = append(refs, filePaths(v[k], sub)...)
		}
	case []any:
		for i, e := range v {
			refs = append(refs, filePaths(e, fmt.Sprintf("%s[%d]", key, i))...)
		}
	}
	return refs
}

// sandboxMounts binds the runtime config and its volumes into an app's
// root at their host paths: read-only for the compile stage (compile),
// which reads the file but opens no store or database, and as the spec
// says for the app. Sources the app already has (skip) are left out.
//
// A writable volume of one file (a SQLite database mounted on its own)
// gets an empty tmpfs at its directory in the app's root, which is
// otherwise read-only: SQLite creates its journal and WAL files beside the
// database. In a runc container they go to the container's own directory,
// and are as short-lived and as private to the container as they are
// here. Directories that are volumes or under one keep what they hold.
func (p runtimeConfigPlan) sandboxMounts(compile bool, skip ...string) []sandbox.Mount {
	if p.hostPath == "" {
		return nil
	}
	vols := slices.Clone(p.volumes)
	// Parents before what they hold, should two sources nest.
	slices.SortFunc(vols, func(a, b volume) int { return len(a.source) - len(b.source) })
	var mounts, binds []sandbox.Mount
	for _, v := range vols {
		if slices.Contains(skip, v.source) || v.source == p.mount.Source {
			continue
		}
		// The tmpfs mounts first: binds, anywhere, go over them.
		scratch := sandbox.Mount{Kind: sandbox.Tmpfs, Dest: filepath.Dir(v.source)}
		if v.file && !compile && !v.readOnly && !slices.Contains(mounts, scratch) && !p.underVolume(scratch.Dest) {
			mounts = append(mounts, scratch)
		}
		binds = append(binds, sandbox.Mount{Kind: sandbox.Bind, ReadOnly: compile || v.readOnly, Source: v.source, Dest: v.source})
	}
	slices.SortFunc(mounts, func(a, b sandbox.Mount) int { return len(a.Dest) - len(b.Dest) })
	return append(append(mounts, binds...), p.mount)
}

// underVolume tells whether dir is the root, or a directory volume's source
// or under one.
func (p runtimeConfigPlan) underVolume(dir string) bool {
	if dir == "/" {
		return true
	}
	for _, v := range p.volumes {
		if !v.file && (dir == v.source || strings.HasPrefix(dir, v.source+"/")) {
			return true
		}
	}
	return false
}
