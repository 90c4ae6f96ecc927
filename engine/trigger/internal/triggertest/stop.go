package triggertest

import (
	"context"
	"testing"
	"time"
)

// Stop cancels a trigger's Run (started with cancel's context, its result
// sent on done) and fails t unless Run returns nil within 10 s.
func Stop(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
