package capi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// loopWAT exports spin(), which never returns.
const loopWAT = `(component
  (core module $m (func (export "spin") (loop $l (br $l))))
  (core instance $i (instantiate $m))
  (func (export "spin") (canon lift (core func $i "spin"))))`

// countingDeadline lets the guest run for allow deadlines, then stops it.
type countingDeadline struct{ seen, allow int }

func (d *countingDeadline) EpochDeadline() (uint64, error) {
	d.seen++
	if d.seen > d.allow {
		return 0, errors.New("guest ran too long")
	}
	return 1, nil
}

func TestEpochDeadlineInterruptsEndlessLoop(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	checkEpochDeadline(t, e)
}

// checkEpochDeadline checks that e's code stops at epoch deadlines.
func checkEpochDeadline(t *testing.T, e *Engine) {
	t.Helper()
	c := compileWAT(t, e, loopWAT)
	l := e.NewLinker()
	defer l.Close()
	defer tickEpochs(e.IncrementEpoch)()
	d := &countingDeadline{allow: 3}
	s := e.NewStore(d)
	defer s.Close()
	inst, err := l.Instantiate(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	f, err := inst.Func("spin")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Call(0)
	if err == nil || !strings.Contains(err.Error(), "guest ran too long") {
		t.Fatalf("Call = %v, want the deadline handler's error", err)
	}
	if d.seen != 4 {
		t.Errorf("deadline handler called %d times, want 4 (3 extensions, then the trap)", d.seen)
	}
}

// tickEpochs calls increment every 10 ms until the returned stop is called.
func tickEpochs(increment func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
				increment()
			}
		}
	}()
	return func() { close(done) }
}
