package shim

import (
	"context"

	"github.com/spinoci/spinoci/shim/appdirs"
	"github.com/spinoci/spinoci/shim/shimserver"
)

// NewTaskService returns the task service of a shim server (the server
// binary's shimserver.Config.NewTaskService): apps read from the content
// store of the containerd at env.Address, run in app processes.
func NewTaskService(ctx context.Context, env shimserver.Env) (shimserver.TaskService, error) {
	running := &optimizers{}
	s, err := newService(ctx, env.Publisher, env.Shutdown, appdirs.NewContainerdStore(env.Address), childLauncher{optimizing: running}, running)
	if err != nil {
		return nil, err
	}
	if env.Log != nil {
		s.serverLog = env.Log
	}
	// The working directory is the bundle of the container whose start
	// started the server. Decoding its spec while containerd has yet to
	// send that container's Create builds encoding/json's cache of the
	// spec's types (~2 ms, the first decode's), which Create would
	// otherwise build on the start's path.
	if !env.Renewed {
		go func() { _, _ = readSpec(".") }()
	}
	return s, nil
}
