package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/rendezvous"
)

// bootstrapFile is where containerd records, in the bundle, the address the
// start action returned.
const bootstrapFile = "bootstrap.json"

// removeDeadServerSocket removes the server socket recorded in the bundle
// when no server listens on it any more. A server that exits normally
// removes its own socket; one killed with SIGKILL leaves it behind, and the
// delete action is the last of the shim containerd runs for the task.
// A live server (another container of the same pod group) keeps its socket.
func removeDeadServerSocket(ctx context.Context, bundle string) {
	addr, err := recordedSocketAddress(bundle)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.G(ctx).WithError(err).Warn("reading the shim socket address")
		}
		return
	}
	if rendezvous.Serving(addr) {
		return
	}
	if err := rendezvous.Remove(addr); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.G(ctx).WithError(err).WithField("socket", addr).Warn("removing stale shim socket")
	}
}

// recordedSocketAddress reads the socket address containerd stored in the
// bundle's bootstrap.json.
func recordedSocketAddress(bundle string) (string, error) {
	data, err := os.ReadFile(filepath.Join(bundle, bootstrapFile))
	if err != nil {
		return "", err
	}
	var result struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		return "", fmt.Errorf("parsing %s: %w", bootstrapFile, err)
	}
	if result.Address == "" {
		return "", fmt.Errorf("%s names no address", bootstrapFile)
	}
	return result.Address, nil
}
