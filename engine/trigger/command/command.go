package command

import (
	"context"

	"github.com/containerd/log"
)

// Runner runs one component once.
type Runner interface {
	Run(ctx context.Context) (int, error)
	Component() string
}

// Run runs each runner in order and returns the first non-zero exit status
// (0 if all succeeded). A runner that fails other than by exiting counts
// as status 1 and its error is logged. Runners after a failure still run,
// unless ctx has ended.
func Run(ctx context.Context, runners []Runner) int {
	status := 0
	for _, r := range runners {
		if ctx.Err() != nil {
			break
		}
		code, err := r.Run(ctx)
		if err != nil {
			log.G(ctx).WithError(err).WithField("component", r.Component()).Error("command trigger: the component failed")
		}
		if code != 0 && status == 0 {
			status = code
		}
	}
	return status
}
