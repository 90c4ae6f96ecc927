package shimserver

import (
	"strings"
	"sync"
	"time"
)

const (
	// renewQuiet is how long after a request that changed its tasks (a
	// Create, Start, Kill, Delete …) a server tries to renew.
	renewQuiet = time.Second
	// renewAfterPolling is how long a server serves before a request that
	// only reads (State, Stats, …) makes it try to renew: CRI reads every
	// container's and sandbox's stats every second (containerd 2.4), and
	// each Stats allocates, so such a server renews about once so long.
	renewAfterPolling = time.Minute
	// renewRetryFirst and renewRetryMax bound the wait before trying again
	// after a renewal that could not happen now: a request under way (a
	// poll, soon answered) or the task service busy (a compile stage).
	renewRetryFirst = 100 * time.Millisecond
	renewRetryMax   = 5 * time.Second
)

// renewalSchedule says when a server tries to renew: renewQuiet after the
// last request that changed its tasks; after a request that only read,
// renewQuiet later but not before the server has served
// renewAfterPolling. Requests that only read do not put a try off, so that
// a server polled every second still renews. The renewal itself checks
// that the server has allocated enough to be worth it (renewer.worthIt).
type renewalSchedule struct {
	began               time.Time
	quiet, afterPolling time.Duration
	try                 func()

	mu    sync.Mutex
	timer *time.Timer
	armed bool
	retry time.Duration
}

func newRenewalSchedule(try func()) *renewalSchedule {
	return &renewalSchedule{began: time.Now(), quiet: renewQuiet, afterPolling: renewAfterPolling, try: try}
}

// readsOnly reports whether method is one of the task API's calls that
// change nothing.
func readsOnly(method string) bool {
	switch method {
	case "State", "Stats", "Pids", "Connect", "Wait":
		return true
	}
	return false
}

// requestDone is told of every request answered (fullMethod as ttrpc
// names it: /service/method).
func (s *renewalSchedule) requestDone(fullMethod string) {
	method := fullMethod[strings.LastIndex(fullMethod, "/")+1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !readsOnly(method):
		s.retry = 0
		s.arm(s.quiet)
	case !s.armed:
		s.arm(max(s.quiet, s.afterPolling-time.Since(s.began)))
	}
}

// notNow arms the next try after a renewal that could not happen, backing
// off from renewRetryFirst to renewRetryMax.
func (s *renewalSchedule) notNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retry = min(max(2*s.retry, renewRetryFirst), renewRetryMax)
	s.arm(s.retry)
}

// arm (re)sets the timer to fire after d; s.mu is held.
func (s *renewalSchedule) arm(d time.Duration) {
	s.armed = true
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.fire)
		return
	}
	s.timer.Reset(d)
}

func (s *renewalSchedule) fire() {
	s.mu.Lock()
	s.armed = false
	s.mu.Unlock()
	s.try()
}
