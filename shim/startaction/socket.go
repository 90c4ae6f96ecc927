package startaction

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// defaultSocketDir is where containerd's shim sockets go when the daemon
// names no directory: "s" in containerd's default state directory.
const defaultSocketDir = "/run/containerd/s"

// socketAddress is the address of the shim socket of group in namespace
// for the containerd at grpcAddress, as containerd's shim library computes
// it: a hash, so that the path fits a unix socket address however long the
// inputs are.
func socketAddress(socketDir, grpcAddress, namespace, group string) (string, error) {
	if namespace == "" {
		return "", errors.New("no namespace given")
	}
	if socketDir == "" {
		socketDir = defaultSocketDir
	}
	d := sha256.Sum256([]byte(filepath.Join(grpcAddress, namespace, group)))
	return fmt.Sprintf("unix://%s/%x", socketDir, d), nil
}

// listen creates the socket at path, readable and writable by its owner
// only, in a directory only its owner can enter.
func listen(path string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the shim socket directory: %w", err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("restricting the shim socket: %w", err)
	}
	return l, nil
}

// inUse tells whether listening failed because the path exists.
func inUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

// OOM score adjustments the kernel accepts.
const (
	oomScoreAdjMin = -1000
	oomScoreAdjMax = 1000
)

// adjustOOMScore gives pid the OOM score adjustment of this process's
// parent (containerd) plus one, so that the kernel's OOM killer picks a shim
// server before containerd. Writing fails without CAP_SYS_RESOURCE for a
// lower value, which only a rootless or user-namespaced daemon meets: then
// the server keeps the score it inherited.
func adjustOOMScore(pid int) error {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", os.Getppid()))
	if err != nil {
		return fmt.Errorf("reading containerd's OOM score adjustment: %w", err)
	}
	score, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return fmt.Errorf("reading containerd's OOM score adjustment: %w", err)
	}
	score = min(max(score+1, oomScoreAdjMin), oomScoreAdjMax)
	err = os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte(strconv.Itoa(score)), 0)
	if err != nil && !(errors.Is(err, os.ErrPermission) && (os.Geteuid() != 0 || inUserNamespace())) {
		return fmt.Errorf("setting the shim server's OOM score adjustment: %w", err)
	}
	return nil
}

// inUserNamespace tells whether this process runs in a user namespace other
// than the initial one (whose uid map is the identity over all ids).
func inUserNamespace() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data))
	return !(len(fields) == 3 && fields[0] == "0" && fields[1] == "0" && fields[2] == "4294967295")
}
