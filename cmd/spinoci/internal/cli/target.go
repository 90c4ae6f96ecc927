package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/errdef"
	orasregistry "oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/artifact/manifest"
	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
)

// registryFlags are the flags of every command that talks to a registry.
type registryFlags struct {
	plainHTTP bool
	insecure  bool
	caFile    string
}

func (f *registryFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.plainHTTP, "plain-http", false, "use HTTP instead of HTTPS (local registries)")
	fl.BoolVar(&f.insecure, "insecure", false, "do not verify the registry's TLS certificate")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM file of CA certificates to trust for the registry, besides the system's")
	_ = cmd.MarkFlagFilename("ca-file", "pem", "crt", "cer")
}

func (f registryFlags) options() registry.Options {
	return registry.Options{
		PlainHTTP: f.plainHTTP,
		Insecure:  f.insecure,
		CAFile:    f.caFile,
		UserAgent: buildinfo.UserAgent(programName),
	}
}

// repository is a registry repository and how to explain its failures.
type repository struct {
	*remote.Repository
	ref  orasregistry.Reference
	opts registry.Options
}

func (f registryFlags) repository(ref orasregistry.Reference) (*repository, error) {
	opts := f.options()
	repo, err := registry.Repository(ref, opts)
	if err != nil {
		return nil, err
	}
	return &repository{Repository: repo, ref: ref, opts: opts}, nil
}

// explain turns a registry failure into a short message with the fix.
func (r *repository) explain(err error) error {
	return registry.Explain(err, r.ref.Registry, r.opts)
}

// resolve finds the manifest (or index) the reference names.
func (r *repository) resolve(ctx context.Context) (ocispec.Descriptor, error) {
	desc, err := r.Resolve(ctx, r.ref.Reference)
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) {
			return desc, fmt.Errorf("%w in the registry (check the repository and tag)", errdef.ErrNotFound)
		}
		return desc, r.explain(err)
	}
	return desc, nil
}

// target is what an inspect or run argument names: a local app or a
// registry reference.
type target struct {
	// path is the spin.toml or spin.lock of a local app, kind its
	// manifest.FileName or appdir.LockFileName.
	path, kind string
	ref        orasregistry.Reference
}

func (t target) local() bool { return t.path != "" }

// resolveTarget decides what arg names. An argument written as a path
// (".", "./x", "/x", "~/x", …) or naming an existing file or directory is a
// local app; anything else must be a fully qualified reference (a bare
// name is not silently looked up on Docker Hub).
func resolveTarget(arg string) (target, error) {
	path := arg
	if path == "~" || strings.HasPrefix(path, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return target{}, fmt.Errorf("expanding %s: %w", arg, err)
		}
		path = filepath.Join(home, strings.TrimPrefix(path, "~"))
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		kind, file, err := localApp(path, fi)
		if err != nil {
			return target{}, err
		}
		return target{path: file, kind: kind}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return target{}, err
	case registry.IsPath(arg):
		return target{}, fmt.Errorf("%s does not exist", arg)
	}
	ref, err := registry.ParseReference(arg)
	if errors.Is(err, registry.ErrUnqualified) {
		return target{}, usageError{fmt.Errorf("no file or directory %s, and %w", arg, err)}
	}
	if err != nil {
		return target{}, usageError{err}
	}
	return target{ref: ref}, nil
}

// localApp finds the app at an existing path: a spin.toml (or any .toml
// file), a spin.lock (a JSON file), or a directory holding one of them
// (spin.toml first). It returns manifest.FileName or appdir.LockFileName and
// the file's path.
func localApp(path string, fi os.FileInfo) (kind, file string, err error) {
	if !fi.IsDir() {
		if strings.HasSuffix(path, ".toml") {
			return manifest.FileName, path, nil
		}
		if isJSONObject(path) {
			return appdir.LockFileName, path, nil
		}
		return "", "", fmt.Errorf("%s is not a %s or %s", path, manifest.FileName, appdir.LockFileName)
	}
	for _, name := range []string{manifest.FileName, appdir.LockFileName} {
		p := filepath.Join(path, name)
		if _, err := os.Stat(p); err == nil {
			return name, p, nil
		}
	}
	return "", "", fmt.Errorf("%s holds neither %s nor %s", path, manifest.FileName, appdir.LockFileName)
}

// isJSONObject tells whether the file at path starts like a JSON object,
// as a spin.lock does (a wasm module or other binary does not).
func isJSONObject(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	return bytes.HasPrefix(bytes.TrimLeft(head[:n], " \t\r\n"), []byte("{"))
}
