package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/containerd/api/types"
	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/appdirs"
	"github.com/spinoci/spinoci/shim/appproto"
	"github.com/spinoci/spinoci/shim/atomicfile"
	"github.com/spinoci/spinoci/shim/shimserver"
)

// RuntimeInfo describes the runtime for the server binary's -info.
func RuntimeInfo() *types.RuntimeInfo {
	return &types.RuntimeInfo{Name: RuntimeName, Version: &types.RuntimeVersion{Version: Version}}
}

// DeleteAction is the server binary's delete action: it runs in a new
// process (working directory = bundle) after the server is gone or done
// with the task, kills the app if the server could not, removes the app
// directory, the cgroup and a dead server's socket, and reports the
// recorded exit status.
func DeleteAction(ctx context.Context, _ string) (shimserver.ExitStatus, error) {
	bundle, err := os.Getwd()
	if err != nil {
		return shimserver.ExitStatus{}, fmt.Errorf("getting bundle directory: %w", err)
	}
	rec, err := readTaskRecord(bundle)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		log.G(ctx).WithError(err).Warn("reading task record")
	}
	status := shimserver.ExitStatus{Pid: rec.Pid, ExitStatus: 128 + int(syscall.SIGKILL), ExitedAt: time.Now()}
	if rec.Exited {
		status.ExitStatus = rec.ExitStatus
		status.ExitedAt = rec.ExitedAt
	} else if rec.Pid > 0 && isOurProcess(rec.Pid) {
		// The server died without reaping the app: stop it here.
		if err := syscall.Kill(rec.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			log.G(ctx).WithError(err).WithField("pid", rec.Pid).Warn("killing orphaned app process")
		}
	}
	if rec.AppDir == "" {
		rec.AppDir = appdirs.Unclaimed(bundle)
	}
	if rec.AppDir != "" {
		if err := os.RemoveAll(rec.AppDir); err != nil {
			log.G(ctx).WithError(err).Warn("removing app directory")
		}
		collectFileStore(ctx, appdirs.StateRootFor(bundle).FileStoreDir())
	}
	if rec.Cgroup != "" {
		if err := removeCgroup(rec.Cgroup); err != nil {
			log.G(ctx).WithError(err).Warn("removing cgroup")
		}
	}
	removeDeadServerSocket(ctx, bundle)
	return status, nil
}

// isOurProcess tells whether pid still runs the app binary next to this
// shim (a child: the app or pause process), or this binary, so that the
// delete action never signals a recycled pid.
func isOurProcess(pid int) bool {
	self, err := os.Executable()
	if err != nil {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && (exe == self || exe == filepath.Join(filepath.Dir(self), appproto.AppBinaryName))
}

// taskRecord is what the server persists in the bundle about a task so that
// the delete action can clean up and report after the server has gone.
type taskRecord struct {
	Pid        int       `json:"pid"`
	AppDir     string    `json:"app_dir,omitempty"`
	Cgroup     string    `json:"cgroup,omitempty"`
	Exited     bool      `json:"exited"`
	ExitStatus int       `json:"exit_status"`
	ExitedAt   time.Time `json:"exited_at"`
}

func readTaskRecord(bundle string) (taskRecord, error) {
	var rec taskRecord
	data, err := os.ReadFile(exitFile(bundle))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("parsing %s: %w", exitFile(bundle), err)
	}
	return rec, nil
}

func writeTaskRecord(bundle string, rec taskRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(exitFile(bundle), data, 0o600); err != nil {
		return fmt.Errorf("writing task record: %w", err)
	}
	return nil
}
