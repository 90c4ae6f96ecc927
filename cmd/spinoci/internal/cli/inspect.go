package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/artifact/manifest"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
	"github.com/spinoci/spinoci/lock"
)

func newInspectCmd(e *env) *cobra.Command {
	var asJSON bool
	var reg registryFlags
	cmd := &cobra.Command{
		Use:   "inspect REF|DIR",
		Short: "Show what is inside a Spin application",
		Long: `Inspect summarises a Spin application: its layout (A, B or Wasm package), and
for each component its routes and executors, wasm source and size, files,
variables, key-value stores, SQLite databases, allowed hosts and the host
APIs its wasm imports (key-value, sqlite, redis, postgres, mysql, mqtt, llm,
variables, outbound-http, sockets, wasi:keyvalue, wasi:config).

REF is read from the registry without downloading its file layers (only the
manifest, config, lock and the components' wasm, for their imports). DIR is a directory with a spin.toml (or the
manifest itself), or an app directory with a spin.lock. An argument written
as a path, or that exists on disk, is a DIR; anything else must be a fully
qualified REF.

--json prints the summary as JSON, in a stable schema (sizes in bytes,
layouts and kinds as short names): see "inspect --json" in docs/cli.md.`,
		Example: `  spinoci inspect localhost:5000/hello:v1 --plain-http
  spinoci inspect ./hello --json`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(ctx context.Context, args []string) error {
			s, err := e.inspect(ctx, args[0], reg)
			if err != nil {
				return err
			}
			for _, w := range s.Warnings {
				e.infof("Warning: %s", w)
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
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (schema in docs/cli.md)")
	reg.add(cmd)
	return cmd
}

func (e *env) inspect(ctx context.Context, arg string, reg registryFlags) (*Summary, error) {
	t, err := resolveTarget(arg)
	if err != nil {
		return nil, err
	}
	if t.local() {
		var app *lock.LockedApp
		origin := OriginLock
		if t.kind == manifest.FileName {
			origin = OriginManifest
			var opts manifest.Options
			if c, err := e.cache(); err == nil {
				opts.Blobs = c
			}
			app, err = manifest.Load(ctx, t.path, opts)
		} else {
			app, err = appdir.ReadLock(t.path)
		}
		if err != nil {
			return nil, err
		}
		s := summarize(app, origin, nil)
		s.readHostAPIs(ctx, app, openLocalWasm)
		if abs, err := filepath.Abs(t.path); err == nil {
			s.Path = abs
		}
		return s, nil
	}
	repo, err := reg.repository(t.ref)
	if err != nil {
		return nil, err
	}
	desc, err := repo.resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", t.ref, err)
	}
	art, err := artifact.Load(ctx, registry.BlobReader{Fetcher: repo}, desc)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", t.ref, repo.explain(err))
	}
	s := summarize(art.App, OriginRegistry, art)
	s.readHostAPIs(ctx, art.App, registryWasm(art, registry.BlobReader{Fetcher: repo}))
	s.Reference = t.ref.String()
	return s, nil
}
