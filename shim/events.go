package shim

import (
	"context"

	eventstypes "github.com/containerd/containerd/api/events"
)

// eventPublisher sends task events to containerd (shimserver.Publisher).
// Close is called once, after the last event.
type eventPublisher interface {
	Publish(ctx context.Context, topic string, event any) error
	Close() error
}

// topicOf is the topic containerd files a task event under.
func topicOf(event any) string {
	switch event.(type) {
	case *eventstypes.TaskCreate:
		return "/tasks/create"
	case *eventstypes.TaskStart:
		return "/tasks/start"
	case *eventstypes.TaskOOM:
		return "/tasks/oom"
	case *eventstypes.TaskExit:
		return "/tasks/exit"
	case *eventstypes.TaskDelete:
		return "/tasks/delete"
	default:
		return "/tasks/?"
	}
}
