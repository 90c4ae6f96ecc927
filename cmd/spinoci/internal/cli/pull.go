package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
)

func newPullCmd(e *env) *cobra.Command {
	var output string
	var reg registryFlags
	cmd := &cobra.Command{
		Use:   "pull REF [--output DIR]",
		Short: "Pull a Spin application and rebuild its directory",
		Long: `Pull fetches REF into the local cache (content-addressed: blobs already there
are not fetched again), verifies every digest, and rebuilds the application
directory: spin.lock with file:// sources, wasm/ and files/.

Without --output the directory is <cache>/apps/<manifest digest>, shared by
every pull of the same artifact. The directory is printed on stdout.`,
		Example: `  spinoci pull localhost:5000/hello:v1 --plain-http
  spinoci pull ghcr.io/me/hello:v1 --output ./hello`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(ctx context.Context, args []string) error {
			pulled, err := e.pull(ctx, args[0], reg, output)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, pulled.dir)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "directory to rebuild the app in (must not exist, or be empty)")
	_ = cmd.MarkFlagDirname("output")
	reg.add(cmd)
	return cmd
}

// pulled is a pulled and materialised app.
type pulled struct {
	dir    string        // the app directory (spin.lock, wasm/, files/)
	digest digest.Digest // the manifest digest
}

// pull fetches refArg into the cache and materialises it into output (or
// the cache's app directory).
func (e *env) pull(ctx context.Context, refArg string, reg registryFlags, output string) (pulled, error) {
	ref, err := registry.ParseReference(refArg)
	if err != nil {
		return pulled{}, usageError{err}
	}
	if output != "" {
		if err := checkOutputDir(output); err != nil {
			return pulled{}, err
		}
	}
	cache, err := e.cache()
	if err != nil {
		return pulled{}, err
	}
	repo, err := reg.repository(ref)
	if err != nil {
		return pulled{}, err
	}
	desc, err := repo.resolve(ctx)
	if err != nil {
		return pulled{}, fmt.Errorf("pulling %s: %w", ref, err)
	}
	rep := e.reporter("pull", nil)
	if rep.Bars != nil || rep.Lines != nil {
		rep.Name, rep.Expected = pullBlobNames(ctx, cache, repo, desc)
	}
	if err := cache.Pull(ctx, repo, desc, rep); err != nil {
		return pulled{}, fmt.Errorf("pulling %s: %w", ref, repo.explain(err))
	}
	art, err := artifact.Load(ctx, registry.BlobReader{Fetcher: cache.Blobs}, desc)
	if err != nil {
		return pulled{}, fmt.Errorf("reading %s: %w", ref, err)
	}
	totals := rep.Totals().String("fetched")
	dir := output
	if dir == "" {
		dir = cache.AppDir(art.ManifestDesc.Digest)
		if _, err := os.Stat(filepath.Join(dir, appdir.LockFileName)); err == nil {
			e.infof("Pulled %s (%s), already in %s: %s", ref, art.ManifestDesc.Digest, dir, totals)
			return pulled{dir, art.ManifestDesc.Digest}, nil
		}
	} else if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pulled{}, fmt.Errorf("output directory: %w", err)
	}
	if _, err := appdir.Materialize(ctx, art.App, art.Content, dir); err != nil {
		// Another spinoci may have materialised the same artifact meanwhile.
		if output == "" && errors.Is(err, fs.ErrExist) {
			return pulled{dir, art.ManifestDesc.Digest}, nil
		}
		return pulled{}, fmt.Errorf("rebuilding %s: %w", ref, err)
	}
	e.infof("Pulled %s (%s, layout %s) into %s: %s", ref, art.ManifestDesc.Digest, layoutName(art.Layout), dir, totals)
	return pulled{dir, art.ManifestDesc.Digest}, nil
}

// checkOutputDir accepts a directory that does not exist or is empty.
func checkOutputDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return usagef("--output %s: %v", dir, err)
	case len(entries) > 0:
		return usagef("--output %s: directory exists and is not empty", dir)
	}
	return nil
}
