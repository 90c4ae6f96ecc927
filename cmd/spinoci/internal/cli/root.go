package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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

// env is what every command shares: where input and output go, and the
// global flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// progress is where progress bars go: stderr when it is a terminal
	// and --quiet is not given, else nil.
	progress io.Writer
	cacheDir string
	// quiet drops progress and info lines; verbose adds a line per blob.
	quiet, verbose bool
}

// Main runs the spinoci command line with args (without the program name)
// and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var status exitStatus
	if errors.As(err, &status) {
		fmt.Fprintf(stderr, "Error: %v\n", status)
		return int(status)
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

A REF is a fully qualified reference: HOST[:PORT]/REPOSITORY[:TAG|@DIGEST],
where HOST has a dot or a port or is localhost (docker.io/library/nginx, not
nginx). An argument written as a path (./app, /srv/app, ~/app, .) is always
a local app.

Registry credentials come from the Docker config file ($DOCKER_CONFIG/config.json
or ~/.docker/config.json, including credential helpers), as for docker, oras
and spin; ` + "`spinoci login`" + ` stores them there. Use --plain-http for a local
registry without TLS, --ca-file or --insecure for one with a private CA.

Progress bars are drawn when stderr is a terminal; --quiet drops them and
the info lines, --verbose adds a line per blob transferred.`,
		Example: `  spinoci push --from ./my-app localhost:5000/my-app:v1 --plain-http
  spinoci inspect localhost:5000/my-app:v1 --plain-http
  spinoci run localhost:5000/my-app:v1 --plain-http --listen 127.0.0.1:3000
  source <(spinoci completion bash)     # shell completion (also zsh, fish, powershell)`,
		Version:       buildinfo.Version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			if f, ok := e.stderr.(*os.File); ok && !e.quiet && registry.IsTerminal(f) {
				e.progress = e.stderr
			}
		},
	}
	root.SetVersionTemplate(buildinfo.Text(programName, engine.WasmtimeVersion))
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	pf := root.PersistentFlags()
	pf.StringVar(&e.cacheDir, "cache-dir", "",
		"cache directory for pulled content and compiled modules (default $XDG_CACHE_HOME/spinoci or ~/.cache/spinoci)")
	_ = root.MarkPersistentFlagDirname("cache-dir")
	pf.BoolVarP(&e.quiet, "quiet", "q", false, "print no progress bars nor info lines (results and errors only)")
	pf.BoolVar(&e.verbose, "verbose", false, "also print a line per blob pushed or pulled")
	root.MarkFlagsMutuallyExclusive("quiet", "verbose")
	root.AddCommand(newPushCmd(e), newPullCmd(e), newInspectCmd(e), newRunCmd(e), newLoginCmd(e), newLogoutCmd(e))
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

// exitStatus is an app's non-zero exit status (a command trigger's), which
// becomes spinoci's.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("the app exited with status %d", int(s)) }

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

// infof prints an info line on stderr, unless --quiet.
func (e *env) infof(format string, args ...any) {
	if !e.quiet {
		fmt.Fprintf(e.stderr, format+"\n", args...)
	}
}

// warnf prints a warning on stderr, even with --quiet.
func (e *env) warnf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "WARNING: "+format+"\n", args...)
}

// reporter follows the blobs of a push or pull: bars on a terminal, a line
// per blob with --verbose.
func (e *env) reporter(verb string, name func(desc ocispec.Descriptor, file string) string) *registry.Reporter {
	r := &registry.Reporter{Verb: verb, Bars: e.progress, Name: name}
	if e.verbose {
		r.Lines = e.stderr
	}
	return r
}
