package shimserver

import (
	"testing"
	"time"
)

// countingSchedule is a schedule with short delays whose tries are sent on
// a channel.
func countingSchedule(quiet, afterPolling time.Duration) (*renewalSchedule, <-chan time.Time) {
	tries := make(chan time.Time, 16)
	s := newRenewalSchedule(func() { tries <- time.Now() })
	s.quiet, s.afterPolling = quiet, afterPolling
	return s, tries
}

func expectTry(t *testing.T, tries <-chan time.Time, within time.Duration) time.Time {
	t.Helper()
	select {
	case at := <-tries:
		return at
	case <-time.After(within):
		t.Fatalf("no try within %v", within)
	}
	return time.Time{}
}

func expectNoTry(t *testing.T, tries <-chan time.Time, during time.Duration) {
	t.Helper()
	select {
	case <-tries:
		t.Fatalf("a try within %v", during)
	case <-time.After(during):
	}
}

// TestRenewalScheduleAfterChanges: a request that changes tasks puts the
// try off by the quiet delay; reads every so often do not, and before the
// polling delay they arm nothing.
func TestRenewalScheduleAfterChanges(t *testing.T) {
	const quiet = 300 * time.Millisecond
	s, tries := countingSchedule(quiet, time.Hour)
	s.requestDone("/containerd.task.v3.Task/Stats")
	expectNoTry(t, tries, 2*quiet)
	s.requestDone("/containerd.task.v3.Task/Create")
	time.Sleep(quiet / 2)
	s.requestDone("/containerd.task.v3.Task/Start")
	last := time.Now()
	for range 4 { // polls closer than the quiet delay
		time.Sleep(quiet / 3)
		s.requestDone("/containerd.task.v3.Task/Stats")
	}
	at := expectTry(t, tries, 10*time.Second)
	if at.Sub(last) < quiet {
		t.Errorf("tried %v after the Start, want the quiet delay (%v) after it, whatever the polls", at.Sub(last), quiet)
	}
	expectNoTry(t, tries, 2*quiet)
}

// TestRenewalScheduleAfterPolling: a read arms a try, not before the
// server has served the polling delay; tries that could not happen back
// off.
func TestRenewalScheduleAfterPolling(t *testing.T) {
	const quiet, afterPolling = 100 * time.Millisecond, 600 * time.Millisecond
	s, tries := countingSchedule(quiet, afterPolling)
	s.requestDone("/containerd.task.v3.Task/Stats")
	if at := expectTry(t, tries, 10*time.Second); at.Sub(s.began) < afterPolling {
		t.Errorf("a read tried %v after the server began, want not before %v", at.Sub(s.began), afterPolling)
	}
	var gaps []time.Duration
	prev := time.Now()
	for range 3 {
		s.notNow()
		at := expectTry(t, tries, 10*time.Second)
		gaps = append(gaps, at.Sub(prev))
		prev = at
	}
	if gaps[0] < renewRetryFirst || gaps[1] < 2*renewRetryFirst || gaps[2] < 4*renewRetryFirst {
		t.Errorf("tries after notNow came %v apart, want at least %v, doubling", gaps, renewRetryFirst)
	}
}
