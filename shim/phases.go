package shim

import (
	"context"
	"time"

	"github.com/containerd/log"
)

// phaseTimer measures the phases of a task's creation for one debug log
// line (where start-up time goes). A nil timer measures nothing.
type phaseTimer struct {
	start, last time.Time
	fields      log.Fields
}

func newPhaseTimer() *phaseTimer {
	now := time.Now()
	return &phaseTimer{start: now, last: now, fields: log.Fields{}}
}

// done records the time since the previous phase ended as phase's.
func (p *phaseTimer) done(phase string) {
	if p == nil {
		return
	}
	now := time.Now()
	p.fields[phase] = now.Sub(p.last).Round(10 * time.Microsecond).String()
	p.last = now
}

// log writes the phases of task id and their total at debug level.
func (p *phaseTimer) log(ctx context.Context, id, msg string) {
	if p == nil {
		return
	}
	p.fields["id"] = id
	p.fields["total"] = time.Since(p.start).Round(10 * time.Microsecond).String()
	log.G(ctx).WithFields(p.fields).Debug(msg)
}
