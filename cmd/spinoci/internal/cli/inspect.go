package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/manifest"
)

func newInspectCmd(e *env) *cobra.Command {
	var asJSON, plainHTTP bool
	cmd := &cobra.Command{
		Use:   "inspect REF|DIR",
		Short: "Show what is inside a Spin application",
		Long: `Inspect summarises a Spin application: its layout (A, B or Wasm package), and
for each component its routes and executors, wasm source and size, files,
variables, key-value stores and allowed hosts.

REF is read from the registry without downloading its layers (only the
manifest, config and lock). DIR is a directory with a spin.toml (or the
manifest itself), or an app directory with a spin.lock. An argument that
exists on disk is a DIR. --json prints the summary as JSON.`,
		Example: `  spinoci inspect localhost:5000/hello:v1 --plain-http
  spinoci inspect ./hello --json`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(ctx context.Context, args []string) error {
			s, err := e.inspect(ctx, args[0], plainHTTP)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(s)
			}
			s.writeText(e.stdout)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&plainHTTP, "plain-http", false, "use HTTP instead of HTTPS (local registries)")
	return cmd
}

func (e *env) inspect(ctx context.Context, target string, plainHTTP bool) (*Summary, error) {
	fi, statErr := os.Stat(target)
	if statErr == nil {
		kind, path, err := localApp(target, fi)
		if err != nil {
			return nil, err
		}
		var app *lock.LockedApp
		layout := "spin.lock (local)"
		if kind == manifest.FileName {
			layout = "spin.toml (local)"
			var opts manifest.Options
			if c, err := e.cache(); err == nil {
				opts.Blobs = c
			}
			app, err = manifest.Load(ctx, path, opts)
		} else {
			app, err = appdir.ReadLock(path)
		}
		if err != nil {
			return nil, err
		}
		return summarize(app, layout, nil), nil
	}
	if !errors.Is(statErr, fs.ErrNotExist) {
		return nil, statErr
	}
	ref, err := registry.ParseReference(target)
	if err != nil {
		return nil, usagef("%s is neither a file nor a directory, nor a valid reference: %v", target, err)
	}
	repo, err := registry.Repository(ref, registry.Options{PlainHTTP: plainHTTP, UserAgent: buildinfo.UserAgent(programName)})
	if err != nil {
		return nil, err
	}
	desc, err := repo.Resolve(ctx, ref.Reference)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", ref, err)
	}
	art, err := artifact.Load(ctx, registry.BlobReader{Fetcher: repo}, desc)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	s := summarize(art.App, art.Layout.String(), art)
	s.Reference = ref.String()
	return s, nil
}
