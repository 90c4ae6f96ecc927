package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
	"github.com/spinoci/spinoci/engine"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// programName is the command's name, in --version and the registry user agent.
const programName = "spinoci"

// failure is an error that happened while running a command (exit 1);
// every other error Execute returns is a usage error (exit 2).
type failure struct{ err error }

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// env is what every command shares: where output goes, and the global flags.
type env struct {
	stdout, stderr io.Writer
	// progress is where progress bars go: stderr when it is a terminal,
	// else nil (quiet).
	progress io.Writer
	cacheDir string
}

// Main runs the spinoci command line with args (without the program name)
// and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if f, ok := stderr.(*os.File); ok && registry.IsTerminal(f) {
		e.progress = stderr
	}
	root := newRoot(e)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var f *failure
	if errors.As(err, &f) {
		fmt.Fprintf(stderr, "Error: %v\n", f.err)
		return ExitFailure
	}
	fmt.Fprintf(stderr, "Error: %v\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
	return ExitUsage
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "spinoci",
		Short: "Push, pull, inspect and run Spin applications as OCI artifacts",
		Long: `spinoci turns Spin applications into OCI artifacts and back, without the Spin CLI.

It pushes the format Spin 2.0+ pushes (` + "`spin registry push`" + `), which
containerd-shim-spinoci-v1 and the Spin shims run, pulls artifacts into a
local content-addressed cache, shows what is inside them, and runs them
locally with the same engine as the shim.

Registry credentials come from the Docker config file ($DOCKER_CONFIG/config.json
or ~/.docker/config.json, including credential helpers), as for docker, oras
and spin. Use --plain-http for a local registry without TLS.`,
		Example: `  spinoci push --from ./my-app localhost:5000/my-app:v1 --plain-http
  spinoci inspect localhost:5000/my-app:v1 --plain-http
  spinoci run localhost:5000/my-app:v1 --plain-http --listen 127.0.0.1:3000`,
		Version:           buildinfo.Version(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetVersionTemplate(buildinfo.Text(programName, engine.WasmtimeVersion))
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	root.PersistentFlags().StringVar(&e.cacheDir, "cache-dir", "",
		"cache directory for pulled content and compiled modules (default $XDG_CACHE_HOME/spinoci or ~/.cache/spinoci)")
	root.AddCommand(newPushCmd(e), newPullCmd(e), newInspectCmd(e), newRunCmd(e))
	return root
}

// runE adapts a command body: its errors are failures (exit 1).
func runE(fn func(ctx context.Context, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := fn(cmd.Context(), args); err != nil {
			var u usageError
			if errors.As(err, &u) {
				return err
			}
			return &failure{err: err}
		}
		return nil
	}
}

// usageError is a bad argument or flag value found while running (exit 2).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// cache opens the cache directory.
func (e *env) cache() (*registry.Cache, error) {
	dir := e.cacheDir
	if dir == "" {
		var err error
		if dir, err = registry.DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	return registry.OpenCache(dir)
}

// keyValues parses repeated K=V flag values.
func keyValues(flag string, values []string) (map[string]string, error) {
	out := make(map[string]string, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--%s %q: want KEY=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

func (e *env) infof(format string, args ...any) {
	fmt.Fprintf(e.stderr, format+"\n", args...)
}
