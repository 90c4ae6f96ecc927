package shim

import (
	"context"
	"fmt"
	"os"

	"github.com/containerd/containerd/v2/pkg/shim"
	"github.com/containerd/containerd/v2/pkg/shutdown"
	"github.com/containerd/containerd/v2/plugins"
	"github.com/containerd/plugin"
	"github.com/containerd/plugin/registry"

	"github.com/spinoci/spinoci/shim/startaction"
)

// RegisterPlugin registers the task service with pkg/shim's plugin
// registry; call it before shim.RunShim.
func RegisterPlugin() {
	registry.Register(&plugin.Registration{
		Type:     plugins.TTRPCPlugin,
		ID:       "task",
		Requires: []plugin.Type{plugins.EventPlugin, plugins.InternalPlugin},
		InitFn: func(ic *plugin.InitContext) (any, error) {
			pp, err := ic.GetByID(plugins.EventPlugin, "publisher")
			if err != nil {
				return nil, fmt.Errorf("getting event publisher: %w", err)
			}
			ss, err := ic.GetByID(plugins.InternalPlugin, "shutdown")
			if err != nil {
				return nil, fmt.Errorf("getting shutdown service: %w", err)
			}
			sd := ss.(shutdown.Service)
			store := newContainerdStore(ic.Properties[plugins.PropertyGRPCAddress])
			running := &optimizers{}
			s, err := newService(ic.Context, pp.(shim.Publisher), sd, containerdImages{store}, childLauncher{optimizing: running}, running)
			if err != nil {
				return nil, err
			}
			if id := os.Getenv(startaction.FirstTaskEnv); id != "" {
				s.prepareFirstTask(id)
			}
			return s, nil
		},
	})
}

// containerdImages is the image source of a shim server: the content store
// of the containerd that started it.
type containerdImages struct{ store *containerdStore }

func (i containerdImages) materializeApp(ctx context.Context, containerID, dir, storeDir string) error {
	_, err := i.store.materialize(ctx, containerID, dir, storeDir)
	return err
}
