package startaction

import (
	"context"
	"io"
	"time"

	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/log"
	"github.com/sirupsen/logrus"

	"github.com/spinoci/spinoci/shim/appdirs"
)

// prepareTimeout bounds the start action's read of the app: containerd
// waits for the reply meanwhile, and Create reads what is not there.
const prepareTimeout = 10 * time.Second

// appSource is where the start action reads the apps of containers from:
// the content store of the containerd at address (containerdApps).
type appSource func(address string) appdirs.Source

// containerdApps reads apps from the containerd at address.
func containerdApps(address string) appdirs.Source { return appdirs.NewContainerdStore(address) }

// prepareApp starts reading the app of the container whose start starts a
// new server from images, to record it in the bundle (appdirs.Prepare),
// where the server's Create takes it: a server reading it itself would
// begin only after its own start-up, with containerd's Create already
// waiting on it. The returned function waits for the read, first stopping
// it if the start has failed. Failures are Create's to meet and report.
// Nothing may be logged: containerd reads the start action's output,
// stderr included, as its reply.
func prepareApp(images appdirs.Source, p params, bundle string, annotations map[string]string) (await func(abandon bool)) {
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	ctx = log.WithLogger(namespaces.WithNamespace(ctx, p.namespace), logrus.NewEntry(logger))
	done := make(chan struct{})
	go func() {
		defer close(done)
		appdirs.Prepare(ctx, images, bundle, annotations, p.namespace, p.instanceID)
	}()
	return func(abandon bool) {
		if abandon {
			cancel()
		}
		<-done
		cancel()
	}
}
