package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/manifest"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
)

// archiveLayersEnv forces archive layers, as it does for `spin registry push`.
const archiveLayersEnv = "SPIN_OCI_ARCHIVE_LAYERS"

type pushFlags struct {
	from          string
	format        string
	registry      registryFlags
	archiveLayers bool
	annotations   []string
}

func newPushCmd(e *env) *cobra.Command {
	var f pushFlags
	cmd := &cobra.Command{
		Use:   "push [--from DIR|spin.toml] REF",
		Short: "Push a Spin application to an OCI registry",
		Long: `Push reads a Spin manifest (spin.toml, spin_manifest_version "1" or 2), locks
it and pushes it to REF in the format ` + "`spin registry push`" + ` (Spin 2.0+) uses:
an OCI image config (architecture wasm, os wasip1, labelled with the lock
digest), one layer per distinct wasm, one per distinct file over 128 bytes
(smaller files are inlined in the lock), and the lock as the last layer.
Identical layers are pushed once. Files go into one archive layer per
component instead with --archive-layers, when $` + archiveLayersEnv + ` is set, or when
there would be more than 500 layers.

The manifest annotations org.opencontainers.image.title, .version,
.description, .authors and .created are set from the app; --annotation
adds or overrides any. --format a pushes the Spin 0.10-1.5 layout (the config
is the lock) for older clients.

Component sources must be local files: a { url, digest } source is used only
when content with that digest is already in the cache (nothing is downloaded).

The pushed manifest digest is printed on stdout.`,
		Example: `  # Push the app in the current directory to a local registry
  spinoci push localhost:5000/hello:v1 --plain-http

  # Push another manifest, with an extra annotation
  spinoci push --from ./apps/hello/spin.toml ghcr.io/me/hello:v1 \
      --annotation org.opencontainers.image.source=https://github.com/me/hello`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(ctx context.Context, args []string) error { return e.push(ctx, args[0], f) }),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", ".", "the app: a directory holding spin.toml, or a manifest file")
	fl.StringVar(&f.format, "format", "b", "artifact layout: b (Spin 2.0+) or a (Spin 0.10-1.5, config is the lock)")
	fl.BoolVar(&f.archiveLayers, "archive-layers", false, "push each component's files as one tar+gzip layer")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "manifest annotation KEY=VALUE (repeatable)")
	f.registry.add(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"b\tSpin 2.0+", "a\tSpin 0.10-1.5"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (e *env) push(ctx context.Context, refArg string, f pushFlags) error {
	opts := artifact.PackOptions{ArchiveLayers: f.archiveLayers || os.Getenv(archiveLayersEnv) != ""}
	switch strings.ToLower(f.format) {
	case "b":
		opts.Format = artifact.LayoutB
	case "a":
		opts.Format = artifact.LayoutA
	default:
		return usagef("--format %q: want a or b", f.format)
	}
	ann, err := keyValues("annotation", f.annotations)
	if err != nil {
		return err
	}
	if len(ann) > 0 {
		opts.Annotations = ann
	}
	ref, err := registry.ParseReference(refArg)
	if err != nil {
		return usageError{err}
	}
	if _, err := ref.Digest(); err == nil {
		return usagef("cannot push to %s: give a tag, not a digest", refArg)
	}

	var loadOpts manifest.Options
	if c, err := e.cache(); err == nil {
		loadOpts.Blobs = c
	}
	app, err := manifest.Load(ctx, f.from, loadOpts)
	if err != nil {
		return err
	}
	e.warnUnsupportedTriggers(app)
	repo, err := f.registry.repository(ref)
	if err != nil {
		return err
	}
	rep := e.reporter("push", pushBlobName(manifestDir(f.from)))
	desc, err := artifact.Pack(ctx, app, rep.Wrap(repo), opts)
	if err != nil {
		return fmt.Errorf("pushing to %s: %w", ref, repo.explain(err))
	}
	if err := repo.Tag(ctx, desc, ref.Reference); err != nil {
		return fmt.Errorf("tagging %s as %s: %w", desc.Digest, ref, repo.explain(err))
	}
	e.infof("Pushed %s (%s): %s", ref, desc.Digest, rep.Totals().String("sent"))
	fmt.Fprintln(e.stdout, desc.Digest)
	return nil
}

// manifestDir is the directory of the app --from names (a directory, or the
// manifest file in it), absolute when it can be.
func manifestDir(from string) string {
	dir := from
	if fi, err := os.Stat(from); err == nil && !fi.IsDir() {
		dir = filepath.Dir(from)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
