// Package rendezvous is where the shim binary's start action and the shim
// server meet: the binaries' names (the server next to the shim binary),
// the server's socket (its address in the server's environment, whether a
// server accepts on it, its removal) and the shim binary's action that
// compiles a bundle's seccomp profile. The server links this package, not
// the start action's, which links what only the start action needs (the
// seccomp compiler among them).
package rendezvous

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// Names of the binaries: containerd runs ShimBinaryName, whose start
// action runs the server from ServerBinaryName next to it. The server
// binary's name is the shim binary's with ServerSuffix.
const (
	ShimBinaryName   = "containerd-shim-spinoci-v1"
	ServerSuffix     = "-server"
	ServerBinaryName = ShimBinaryName + ServerSuffix
)

// CompileSeccompAction is the shim binary's action that compiles the
// seccomp profile of the bundle it names into the bundle
// (`containerd-shim-spinoci-v1 compile-seccomp BUNDLE`), for a container
// whose start ran no start action: containerd 2.3 and later create the
// containers of a pod in the pod's shim server directly.
const CompileSeccompAction = "compile-seccomp"

// AddressEnv carries the server's socket address, from the start action to
// the server: the server must remove the socket itself, since containerd's
// shim library only cleans up sockets it created and grouped servers are
// not named after a task.
const AddressEnv = "SPINOCI_SHIM_SOCKET"

// Path is the file system path of a unix:// address.
func Path(address string) (string, error) {
	path, ok := strings.CutPrefix(address, "unix://")
	if !ok {
		return "", fmt.Errorf("shim socket address %q is not unix://", address)
	}
	return path, nil
}

// Accepting tells whether a server accepts connections at path.
func Accepting(path string) bool {
	conn, err := net.DialTimeout("unix", path, 100*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// Remove removes the socket file of the unix:// address of a server's
// socket.
func Remove(address string) error {
	path, err := Path(address)
	if err != nil {
		return err
	}
	return os.Remove(path)
}

// Serving tells whether a server accepts connections at the unix://
// address.
func Serving(address string) bool {
	path, err := Path(address)
	return err == nil && Accepting(path)
}
