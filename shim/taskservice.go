package shim

import (
	"context"
	"os"

	"github.com/spinoci/spinoci/shim/shimserver"
	"github.com/spinoci/spinoci/shim/startaction"
)

// NewTaskService returns the task service of a shim server (the server
// binary's shimserver.Config.NewTaskService): apps read from the content
// store of the containerd at env.Address, run in app processes.
func NewTaskService(ctx context.Context, env shimserver.Env) (shimserver.TaskService, error) {
	store := newContainerdStore(env.Address)
	running := &optimizers{}
	s, err := newService(ctx, env.Publisher, env.Shutdown, containerdImages{store}, childLauncher{optimizing: running}, running)
	if err != nil {
		return nil, err
	}
	if env.Log != nil {
		s.serverLog = env.Log
	}
	if id := os.Getenv(startaction.FirstTaskEnv); id != "" {
		s.prepareFirstTask(id)
	}
	return s, nil
}

// containerdImages is the image source of a shim server: the content store
// of the containerd that started it.
type containerdImages struct{ store *containerdStore }

func (i containerdImages) materializeApp(ctx context.Context, containerID, dir string, files appFileSources) error {
	_, err := i.store.materialize(ctx, containerID, dir, files)
	return err
}
