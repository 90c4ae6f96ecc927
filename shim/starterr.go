package shim

import (
	"context"
	"syscall"

	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/containerd/log"
	"google.golang.org/grpc/status"

	"github.com/spinoci/spinoci/shim/appdirs"
)

// toAPI maps an error to the ttrpc status containerd's clients see. Only
// the code and the message travel: errgrpc would send each further error an
// error wraps (fmt.Errorf with several %w) as a status detail, which
// clients print on lines of their own — a bare "invalid argument" or
// "failed precondition" under the real message, once per hop.
func toAPI(err error) error {
	if err == nil {
		return nil
	}
	st, _ := status.FromError(errgrpc.ToGRPC(err))
	return status.Error(st.Code(), st.Message())
}

// reportStartFailure puts a create or start failure where operators look,
// once each: the shim's log, which reaches containerd's log through the
// bundle's log FIFO, and, for a Kubernetes container, the container's
// stderr (kubectl/crictl logs). A ctr or nerdctl user gets the error from
// the client, which also prints the container's stderr when attached, so
// writing it there too would show it twice.
func reportStartFailure(ctx context.Context, id, bundle string, out *stdio, err error) {
	log.G(ctx).WithField("id", id).WithError(err).Error("container failed to start")
	if underCRI(bundle) {
		out.reportError(err)
	}
}

// underCRI tells whether the container in bundle was created by containerd's
// CRI plugin (kubelet, crictl).
func underCRI(bundle string) bool {
	spec, err := readSpec(bundle)
	if err != nil {
		return false
	}
	_, ok := spec.Annotations[appdirs.ContainerTypeAnnotation]
	return ok
}

// stopFailedStart ends the process of a task whose start failed and waits
// for its exit to be recorded, so that the task is stopped, not created:
// containerd 1.7's ctr deletes it without killing it first, which its
// client refuses for a created task (ctr run --rm would leave it behind).
func stopFailedStart(ctx context.Context, t *shimTask) {
	_ = t.proc.kill(syscall.SIGKILL)
	select {
	case <-t.exited:
	case <-ctx.Done():
	}
}
