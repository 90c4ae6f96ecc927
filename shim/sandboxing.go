package shim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/pkg/sys/reaper"
	"github.com/containerd/log"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/shim/appproto"
	"github.com/spinoci/spinoci/shim/rendezvous"
	"github.com/spinoci/spinoci/shim/sandbox"
	"github.com/spinoci/spinoci/shim/seccompbpf"
)

// sandboxRootDir is the empty directory in a task's bundle over which its
// process mounts its new root (a tmpfs), inside its own mount namespace: the
// host never sees anything mounted there.
func sandboxRootDir(bundle string) string { return filepath.Join(bundle, "spinoci-root") }

// compileStateDir is the compile stage's state directory, an empty tmpfs in
// its root: loading the app opens its key-value stores, whose contents it
// must neither see nor create.
const compileStateDir = "/compile-state"

// sandboxDevices are the device nodes a sandboxed process gets in /dev,
// and its own descriptors at /proc/self/fd (the engine reopens pipes there);
// not the rest of /proc, which would show the host's processes.
func sandboxDevices() []sandbox.Mount {
	mounts := []sandbox.Mount{{Kind: sandbox.Bind, Source: "/proc/self/fd", Dest: "/proc/self/fd"}}
	for _, dev := range []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"} {
		mounts = append(mounts, sandbox.Mount{Kind: sandbox.Device, Source: dev, Dest: dev})
	}
	return mounts
}

// bootIDPath holds the id the kernel draws at each boot.
const bootIDPath = "/proc/sys/kernel/random/boot_id"

// bootIDMount shows the boot id to the processes that read and write the
// compile cache: an entry written in this boot is known whole and is not
// checksummed again at every start. Without it they check every entry.
func bootIDMount() []sandbox.Mount {
	if _, err := os.Stat(bootIDPath); err != nil {
		return nil
	}
	return []sandbox.Mount{{Kind: sandbox.Bind, ReadOnly: true, Source: bootIDPath, Dest: bootIDPath}}
}

// pagemapPath is a process's page map: which of its pages are present,
// and whether they are a file's or its own alone.
const pagemapPath = "/proc/self/pagemap"

// pagemapMount shows the app process its own page map (the process makes
// its mounts itself, so /proc/self is that process): the engine reads which
// pages of a module's memory its first instance touched, to fit the reset
// of the module's instance pool (a guest that writes one page of its memory
// is spared the zeroing of the rest per request). Read-only; it holds no
// page frame numbers without CAP_SYS_ADMIN. Without it, the pool resets
// the most it may.
func pagemapMount() []sandbox.Mount {
	if _, err := os.Stat(pagemapPath); err != nil {
		return nil
	}
	return []sandbox.Mount{{Kind: sandbox.Bind, ReadOnly: true, Source: pagemapPath, Dest: pagemapPath}}
}

// sandboxEtcFiles are the name-resolution and TLS files the app reads
// (outbound HTTP): the spec's own mounts of them (CRI's per-pod hosts and
// resolv.conf), else the host's. All read-only.
func sandboxEtcFiles(spec *specs.Spec) []sandbox.Mount {
	var mounts []sandbox.Mount
	for _, dest := range []string{"/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/etc/ssl/certs"} {
		src := ""
		for _, m := range spec.Mounts {
			if filepath.Clean(m.Destination) == dest && isBindMount(m) {
				src = m.Source
			}
		}
		if src == "" && dest != "/etc/hostname" {
			src = dest
		}
		if src == "" {
			continue
		}
		if _, err := os.Stat(src); err != nil {
			continue
		}
		mounts = append(mounts, sandbox.Mount{Kind: sandbox.Bind, ReadOnly: true, Source: src, Dest: dest})
	}
	return mounts
}

// planSandbox confines the task's process as its spec asks (see package
// sandbox) in a root of its own holding only what it needs:
//
//   - pause process: /dev's null, zero, full, random and urandom.
//   - app: those, its app directory (read-only, readable by every user
//     since the process's user may not be root; on the host the shim's
//     state root keeps others out), its scratch directory
//     <app dir>/tmp and its state directory (read-write, owned by the
//     process's user when the shim made them), the compile cache
//     (read-only), /etc's hosts, resolv.conf and TLS roots (read-only),
//     and the runtime config (read-only) with the volumes its paths are
//     on (as the spec mounts them).
//
// Paths keep their host names inside the root, so the app's arguments are
// valid in it. The app's compile stage (l.compile) fills the cache before
// the app starts: it runs as root without any capability, with
// no_new_privs, the spec's seccomp filter and rlimits, and sees only the
// app directory (read-only), the cache (read-write), an empty state
// directory and the runtime config with its volumes (read-only; it opens no
// store or database). It executes no guest code; the process that does
// cannot write compiled code that another app would load.
func planSandbox(spec *specs.Spec, l *appLaunch, bundle string) error {
	base, err := sandbox.FromSpec(spec)
	if err != nil {
		return err
	}
	if spec.Linux != nil && spec.Linux.Seccomp != nil {
		if base.Seccomp, err = seccompFilter(bundle, compileSeccompWithShim); err != nil {
			return err
		}
	}
	base.Root = sandboxRootDir(bundle)
	if err := os.MkdirAll(base.Root, 0o700); err != nil {
		return fmt.Errorf("creating the sandbox root mount point: %w", err)
	}
	base.Hostname = l.ns.hostname
	base.Mounts = sandboxDevices()
	if l.pause {
		base.Workdir = "/"
		l.sandbox = &base
		return nil
	}
	appDir := l.dir
	l.tempDir = filepath.Join(appDir, "tmp")
	uid, gid := int(base.User.UID), int(base.User.GID)
	if err := shareTree(appDir); err != nil {
		return err
	}
	owned := []string{l.tempDir}
	if filepath.Dir(l.stateDir) == appDir {
		owned = append(owned, l.stateDir)
	} else if err := os.MkdirAll(l.stateDir, 0o755); err != nil {
		return fmt.Errorf("creating the state directory: %w", err)
	}
	for _, dir := range owned {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return fmt.Errorf("giving %s to the app's user: %w", dir, err)
		}
	}
	base.Workdir = appDir
	base.Mounts = append(base.Mounts, pagemapMount()...)
	// The runtime config's volumes first: a source above the app's
	// directories must not hide them.
	base.Mounts = append(base.Mounts, l.runtimeConfig.sandboxMounts(false, l.stateDir)...)
	base.Mounts = append(base.Mounts,
		sandbox.Mount{Kind: sandbox.Bind, ReadOnly: true, Source: appDir, Dest: appDir},
		sandbox.Mount{Kind: sandbox.Bind, Source: l.tempDir, Dest: l.tempDir},
		sandbox.Mount{Kind: sandbox.Bind, Source: l.stateDir, Dest: l.stateDir})
	if l.cacheDir != "" {
		if err := os.MkdirAll(l.cacheDir, 0o755); err != nil {
			return fmt.Errorf("creating the compile cache directory: %w", err)
		}
		base.Mounts = append(base.Mounts, sandbox.Mount{Kind: sandbox.Bind, ReadOnly: true, Source: l.cacheDir, Dest: l.cacheDir})
		bootID := bootIDMount()
		base.Mounts = append(base.Mounts, bootID...)
		compile := base
		compile.User = sandbox.User{}
		compile.Caps = sandbox.Caps{LastCap: base.Caps.LastCap}
		compile.NoNewPrivs = true
		compile.Hostname = ""
		compile.Mounts = append(sandboxDevices(), l.runtimeConfig.sandboxMounts(true)...)
		compile.Mounts = append(compile.Mounts,
			sandbox.Mount{Kind: sandbox.Bind, ReadOnly: true, Source: appDir, Dest: appDir},
			// Loading stages single-file mounts in the scratch dir: an empty
			// tmpfs here, so the stage writes nothing the app will see.
			sandbox.Mount{Kind: sandbox.Tmpfs, Dest: l.tempDir},
			sandbox.Mount{Kind: sandbox.Bind, Source: l.cacheDir, Dest: l.cacheDir},
			sandbox.Mount{Kind: sandbox.Tmpfs, Dest: compileStateDir})
		compile.Mounts = append(compile.Mounts, bootID...)
		l.compile = &compile
	}
	base.Mounts = append(base.Mounts, sandboxEtcFiles(spec)...)
	l.sandbox = &base
	return nil
}

// sandboxFile puts cfg in an in-memory file for the child (package nsenter
// reads it before the Go runtime starts) and returns it with the
// environment entry naming its descriptor fd.
func sandboxFile(cfg *sandbox.Config, fd int) (*os.File, string, error) {
	record, err := cfg.Encode()
	if err != nil {
		return nil, "", err
	}
	mfd, err := unix.MemfdCreate("spinoci-sandbox", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, "", fmt.Errorf("creating the sandbox record: %w", err)
	}
	f := os.NewFile(uintptr(mfd), "spinoci-sandbox")
	if _, err := f.Write(record); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("writing the sandbox record: %w", err)
	}
	return f, fmt.Sprintf("%s=%d", appproto.EnvSandboxFD, fd), nil
}

// runCompileStage runs the app's compile stage (see planSandbox) in cg; the
// cache entries it writes are readable by every user, so that the app's
// user, whoever it is, loads them. It returns the stage's process,
// whose ready status says whether an optimising stage should follow
// (optimizeAfter).
func runCompileStage(ctx context.Context, l appLaunch, cg *taskCgroup) (*appProcess, error) {
	stage := fastCompileStage(ctx, l)
	start := time.Now()
	p, err := startChild(ctx, stage, cg)
	if err != nil {
		return nil, fmt.Errorf("compiling the app: %w", err)
	}
	status := p.wait()
	p.closePipes()
	if status != 0 {
		return nil, fmt.Errorf("compiling the app: the compile stage exited with status %d", status)
	}
	log.G(ctx).WithFields(log.Fields{"duration": time.Since(start), "heap_padded": stage.padCompileHeap}).Debug("compile stage done")
	return p, nil
}

// fastCompileStage is the launch of l's compile stage of fast code, the
// one a first start waits for: its heaps are padded where the container
// has room (compilemalloc.go).
func fastCompileStage(ctx context.Context, l appLaunch) appLaunch {
	stage := compileStage(l)
	stage.padCompileHeap = padsCompileHeap(ctx, l)
	return stage
}

// compileStage is the launch of l's compile stage.
func compileStage(l appLaunch) appLaunch {
	stage := l
	stage.sandbox, stage.compile = l.compile, nil
	stage.compileOnly = true
	stage.cacheOnly = false
	stage.stateDir = compileStateDir
	stage.ns = namespacePlan{}
	return stage
}

// shareTree makes dir's files and directories readable (and directories
// searchable) by every user, without write access; files that vanish
// meanwhile are skipped. A read-only file (a link into the file store)
// stays read-only for its owner too.
func shareTree(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		} else if info, err := d.Info(); err == nil && info.Mode().Perm()&0o200 == 0 {
			mode = 0o444
		}
		if err := os.Chmod(path, mode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("making %s readable: %w", dir, err)
	}
	return nil
}

// seccompFilter reads the compiled filter of the spec's seccomp profile from
// bundle, where the start action left it (package seccompbpf). A container
// whose start ran no start action has none (containerd's CRI may create a
// pod's containers in the pod's server directly, as containerd 2.4 does):
// compile then writes it first (compileSeccompWithShim: the server links
// no seccomp compiler).
func seccompFilter(bundle string, compile func(bundle string) error) ([]bpf.RawInstruction, error) {
	prog, err := seccompbpf.ReadFilter(bundle)
	if !errors.Is(err, os.ErrNotExist) {
		return prog, err
	}
	if err := compile(bundle); err != nil {
		return nil, err
	}
	return seccompbpf.ReadFilter(bundle)
}

// compileSeccompWithShim runs the shim binary (next to the server, whose
// name is the shim binary's with rendezvous.ServerSuffix) to compile the
// seccomp profile of the spec in bundle into it.
func compileSeccompWithShim(bundle string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the shim executable: %w", err)
	}
	shimBinary, ok := strings.CutSuffix(self, rendezvous.ServerSuffix)
	if !ok {
		return fmt.Errorf("compiling the seccomp profile: the server %s is not named after a shim binary (%s…%s)", self, rendezvous.ShimBinaryName, rendezvous.ServerSuffix)
	}
	// Started and waited for through the reaper, as every child of the
	// server: its SIGCHLD handler reaps them all.
	var out bytes.Buffer
	cmd := exec.Command(shimBinary, rendezvous.CompileSeccompAction, bundle)
	cmd.Stdout, cmd.Stderr = &out, &out
	exits, err := reaper.Default.Start(cmd)
	if err != nil {
		return fmt.Errorf("compiling the seccomp profile with %s: %w", shimBinary, err)
	}
	if status, err := reaper.Default.Wait(cmd, exits); err != nil || status != 0 {
		return fmt.Errorf("compiling the seccomp profile with %s (exit status %d, %v): %s", shimBinary, status, err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}
