// Package triggertest has what the trigger packages' tests share: a
// message handler that records what it gets, and Stop, which ends a Run.
package triggertest

import (
	"context"
	"testing"
	"time"
)

// Recorder is a trigger handler that records each message as
// "<topic>:<payload>". Block, when set, holds each call until closed.
type Recorder struct {
	ID    string
	Got   chan string
	Block chan struct{}
}

// NewRecorder returns a Recorder for component id.
func NewRecorder(id string) *Recorder { return &Recorder{ID: id, Got: make(chan string, 16)} }

// Component is the recorder's component id.
func (r *Recorder) Component() string { return r.ID }

// HandleMessage records the message.
func (r *Recorder) HandleMessage(_ context.Context, topic string, payload []byte) error {
	if r.Block != nil {
		<-r.Block
	}
	r.Got <- topic + ":" + string(payload)
	return nil
}

// Expect fails t unless r's next message, within 10 s, is want.
func (r *Recorder) Expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-r.Got:
		if got != want {
			t.Errorf("%s got %q, want %q", r.ID, got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s got no message (want %q)", r.ID, want)
	}
}

// ExpectNone fails t if r gets a message within d.
func (r *Recorder) ExpectNone(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case got := <-r.Got:
		t.Errorf("%s got %q, want nothing", r.ID, got)
	case <-time.After(d):
	}
}
