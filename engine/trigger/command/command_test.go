package command

import (
	"context"
	"errors"
	"testing"
)

type fakeRunner struct {
	id     string
	status int
	err    error
	ran    *[]string
}

func (f fakeRunner) Component() string { return f.id }

func (f fakeRunner) Run(context.Context) (int, error) {
	*f.ran = append(*f.ran, f.id)
	return f.status, f.err
}

// TestRun: every runner runs in order; the status is the first non-zero
// one, a runner's error counting as its status 1; nothing runs once the
// context has ended.
func TestRun(t *testing.T) {
	var ran []string
	runners := []Runner{
		fakeRunner{id: "a", ran: &ran},
		fakeRunner{id: "b", status: 1, err: errors.New("trap"), ran: &ran},
		fakeRunner{id: "c", status: 4, ran: &ran},
	}
	if got := Run(context.Background(), runners); got != 1 {
		t.Errorf("status %d, want 1 (b's)", got)
	}
	if len(ran) != 3 || ran[0] != "a" || ran[2] != "c" {
		t.Errorf("ran %v, want a, b, c", ran)
	}
	ran = nil
	if got := Run(context.Background(), runners[:1]); got != 0 {
		t.Errorf("status %d, want 0", got)
	}
	ran = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := Run(ctx, runners); got != 0 || len(ran) != 0 {
		t.Errorf("after cancel: status %d, ran %v; want 0 and nothing", got, ran)
	}
}
