package appproto

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// The first argument of the app binary, which the shim runs as each child
// process.
const (
	// AppModeArg starts a container's app process.
	AppModeArg = "app"
	// PauseModeArg starts a pod's sandbox ("pause") process.
	PauseModeArg = "pause"
	// AppBinaryName is the binary of the shim's child processes (app and
	// pause), installed next to the shim, which needs it.
	AppBinaryName = "containerd-shim-spinoci-v1-app"
)

// The child's ends of its two pipes to the shim (os/exec ExtraFiles 0 and 1).
const (
	// ControlFD is where the child reads commands.
	ControlFD = 3
	// StatusFD is where the child writes status lines.
	StatusFD = 4
)

// States a child reports in Status.State.
const (
	// StateReady: loaded (an app: every module compiled); waiting for start.
	StateReady = "ready"
	// StateListening: an app serves on Status.Addr.
	StateListening = "listening"
	// StateHolding: a pause process holds the pod's namespaces.
	StateHolding = "holding"
	// StateNotCached: an app started with CacheOnly found some of its
	// compiled code missing from the cache; it exits 0 without serving.
	StateNotCached = "not-cached"
	// StateInputsRead: an optimising compile stage has read every wasm
	// binary of the app; it needs the app directory no more, which the
	// shim removes once the task is deleted.
	StateInputsRead = "inputs-read"
)

// CommandStart tells a ready child to start serving (or holding).
const CommandStart = "start\n"

// Status is one status line from a child process.
type Status struct {
	State string `json:"state,omitempty"`
	Addr  string `json:"addr,omitempty"`
	Error string `json:"error,omitempty"`
	// Tier, in a compile stage's StateReady, is TierFast when it cached
	// code of the fast tier: a stage at TierOptimized should follow.
	Tier string `json:"tier,omitempty"`
	// Startup, in an app's StateReady, says when it reached each step of
	// its start, which the shim logs beside Create's phases.
	Startup *Startup `json:"startup,omitempty"`
}

// Startup is when an app process reached each step of its start, in
// nanoseconds since the Unix epoch (0: not known). Wall-clock times, so
// that the shim can set them against its exec of the process.
type Startup struct {
	// Constructor: the binary's C constructor began (after the exec and
	// the dynamic loader).
	Constructor int64 `json:"constructor,omitempty"`
	// Confined: the constructor had moved the process into its cgroup,
	// namespaces and sandbox.
	Confined int64 `json:"confined,omitempty"`
	// Main: Go's main began (after the runtime's start and the package
	// initialisers).
	Main int64 `json:"main,omitempty"`
	// Ready: the app was loaded.
	Ready int64 `json:"ready,omitempty"`
}

// Compile tiers (AppArgs.CompileTier, Status.Tier).
const (
	// TierFast is code quick to compile and slower to run, for a first
	// start; the default of a compile stage.
	TierFast = "fast"
	// TierOptimized is the code to keep, compiled in the background.
	TierOptimized = "optimized"
)

// WriteStatus writes st as one status line.
func WriteStatus(w io.Writer, st Status) error {
	line, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding status line: %w", err)
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing status line: %w", err)
	}
	return nil
}

// ParseStatus decodes one status line (with or without its newline). A line
// reporting an error is returned as that error.
func ParseStatus(line []byte) (Status, error) {
	var st Status
	if err := json.Unmarshal(line, &st); err != nil {
		return Status{}, fmt.Errorf("app process wrote an invalid status line %q: %w", line, err)
	}
	if st.Error != "" {
		return Status{}, errors.New(st.Error)
	}
	return st, nil
}

// AwaitStart blocks until the parent sends CommandStart on control. It
// returns false when ctx is cancelled (SIGTERM) or the control pipe closes
// (or carries anything else) first.
func AwaitStart(ctx context.Context, control io.Reader) bool {
	started := make(chan bool, 1)
	go func() {
		line, err := bufio.NewReader(control).ReadString('\n')
		started <- err == nil && line == CommandStart
	}()
	select {
	case ok := <-started:
		return ok
	case <-ctx.Done():
		return false
	}
}

// AppArgs is an app process's command line.
type AppArgs struct {
	// LockPath is the materialised spin.lock; its directory is the app's.
	LockPath string
	// CacheDir is the compiled module cache directory.
	CacheDir string
	// StateDir is the persistent state directory (key-value stores).
	StateDir string
	// Hostname is set in the app's new UTS namespace ("": none was created).
	Hostname string
	// TempDir is where the app writes scratch files ("": the app's
	// directory).
	TempDir string
	// CompileOnly compiles the app into the compile cache, reports
	// StateReady and exits 0 without serving.
	CompileOnly bool
	// RuntimeConfigPath is the host path of the container's
	// /runtime-config.toml ("": it has none).
	RuntimeConfigPath string
	// RuntimeConfigName is that file's path in the container ("": the
	// runtime config is the host's and its paths are host paths).
	RuntimeConfigName string
	// Volumes are the container's volumes that the runtime config's paths
	// are on, as "DEST=SOURCE" (path in the container = host path).
	Volumes []string
	// CacheOnly loads compiled code only from the cache, which the app
	// cannot write: if some is missing the app reports StateNotCached and
	// exits 0.
	CacheOnly bool
	// CompileTier is the tier a compile stage compiles at ("": TierFast).
	CompileTier string
	// OneProc says the shim started the app on one P: it set
	// OneProcEnv, which the container's environment does not set. The
	// app moves to Go's default once it serves concurrently.
	OneProc bool
}

// ProcsEnv is Go's variable for its number of Ps (the scheduler's
// processors); OneProcEnv sets one.
const (
	ProcsEnv   = "GOMAXPROCS"
	OneProcEnv = ProcsEnv + "=1"
)

// Encode returns the command line after the binary's path, AppModeArg first.
func (a AppArgs) Encode() []string {
	args := []string{AppModeArg, "--lock", a.LockPath, "--cache", a.CacheDir, "--state", a.StateDir}
	if a.TempDir != "" {
		args = append(args, "--tmp", a.TempDir)
	}
	if a.CompileOnly {
		args = append(args, "--compile-only")
	}
	if a.RuntimeConfigPath != "" {
		args = append(args, "--runtime-config", a.RuntimeConfigPath)
	}
	if a.RuntimeConfigName != "" {
		args = append(args, "--runtime-config-name", a.RuntimeConfigName)
	}
	for _, v := range a.Volumes {
		args = append(args, "--volume", v)
	}
	if a.CacheOnly {
		args = append(args, "--cache-only")
	}
	if a.CompileTier != "" {
		args = append(args, "--compile-tier", a.CompileTier)
	}
	if a.OneProc {
		args = append(args, "--one-proc")
	}
	return appendHostname(args, a.Hostname)
}

// ParseAppArgs parses the arguments that follow AppModeArg.
func ParseAppArgs(args []string) (AppArgs, error) {
	var a AppArgs
	fs := newFlagSet(AppModeArg)
	fs.StringVar(&a.LockPath, "lock", "", "path of the materialised spin.lock")
	fs.StringVar(&a.CacheDir, "cache", "", "compiled module cache directory")
	fs.StringVar(&a.StateDir, "state", "", "persistent state directory (key-value stores)")
	fs.StringVar(&a.Hostname, "hostname", "", "hostname to set in the container's new UTS namespace")
	fs.StringVar(&a.TempDir, "tmp", "", "scratch directory (default: the app's directory)")
	fs.BoolVar(&a.CompileOnly, "compile-only", false, "load the app into the compile cache and exit")
	fs.StringVar(&a.RuntimeConfigPath, "runtime-config", "", "host path of the container's /runtime-config.toml")
	fs.StringVar(&a.RuntimeConfigName, "runtime-config-name", "", "the runtime config's path in the container")
	fs.Func("volume", "DEST=SOURCE: a container volume the runtime config's paths are on (repeatable)", func(v string) error {
		a.Volumes = append(a.Volumes, v)
		return nil
	})
	fs.BoolVar(&a.CacheOnly, "cache-only", false, "load compiled code only from the cache; report "+StateNotCached+" if some is missing")
	fs.StringVar(&a.CompileTier, "compile-tier", "", "with --compile-only: "+TierFast+" (default) or "+TierOptimized)
	fs.BoolVar(&a.OneProc, "one-proc", false, "started on one P ("+OneProcEnv+" is the shim's): move to Go's default when serving concurrently")
	if err := parse(fs, args); err != nil {
		return AppArgs{}, err
	}
	return a, nil
}

// PauseArgs is a pause process's command line.
type PauseArgs struct {
	// Hostname is set in the pod's new UTS namespace ("": none was created).
	Hostname string
}

// Encode returns the command line after the binary's path, PauseModeArg
// first.
func (a PauseArgs) Encode() []string {
	return appendHostname([]string{PauseModeArg}, a.Hostname)
}

func appendHostname(args []string, hostname string) []string {
	if hostname != "" {
		args = append(args, "--hostname", hostname)
	}
	return args
}

// newFlagSet returns a flag set that reports errors only through parse.
func newFlagSet(mode string) *flag.FlagSet {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("parsing %s arguments: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("parsing %s arguments: unexpected %q", fs.Name(), fs.Args())
	}
	return nil
}

// SetHostname sets the hostname of the UTS namespace the child was created
// in; the parent passes a hostname only when it created one. "" does
// nothing.
func SetHostname(name string) error {
	if name == "" {
		return nil
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("setting hostname %q: %w", name, err)
	}
	return nil
}
