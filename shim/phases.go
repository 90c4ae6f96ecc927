package shim

import (
	"context"
	"time"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/appproto"
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

// startup records where the start of an app process the shim exec'd at
// exec went, from the times its ready line gives (appproto.Startup):
// app_exec (to its constructor: the exec and the dynamic loader),
// app_confine (its cgroup, namespaces and sandbox), app_runtime (Go's
// runtime start and package initialisers), app_load (the app loaded). What
// app_ready holds beyond their sum is the shim's own: the launch before the
// exec, reading the ready line. A step whose time, or whose predecessor's,
// is not known is left out.
func (p *phaseTimer) startup(exec time.Time, s appproto.Startup) {
	if p == nil {
		return
	}
	steps := []struct {
		name string
		at   int64
	}{{"app_exec", s.Constructor}, {"app_confine", s.Confined}, {"app_runtime", s.Main}, {"app_load", s.Ready}}
	prev := exec.UnixNano()
	for _, st := range steps {
		if st.at != 0 && prev != 0 {
			p.fields[st.name] = time.Duration(st.at - prev).Round(10 * time.Microsecond).String()
		}
		prev = st.at
	}
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
