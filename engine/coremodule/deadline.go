package coremodule

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// EpochDeadline stops the guest once its request is over (its context is
// done: the client went away, the output limit was reached, the app is
// stopping) or its guest time passed the Host's limit; otherwise it lets
// it run one more tick. Time spent in Spin host imports (outbound HTTP,
// key-value) is not guest time.
func (st *instanceState) EpochDeadline() (uint64, error) {
	if st.ctx.Err() != nil {
		cause := context.Cause(st.ctx)
		if cause == context.Canceled {
			return 0, errors.New("guest interrupted: its request ended (the client went away)")
		}
		return 0, fmt.Errorf("guest interrupted: %w", cause)
	}
	limit := st.host.guestTimeLimit
	if ran := time.Since(st.start) - st.hostTime; limit > 0 && ran > limit {
		return 0, fmt.Errorf("guest interrupted: it ran for %v, over the limit of %v (%s)",
			ran.Round(time.Millisecond), limit, GuestTimeLimitEnv)
	}
	return 1, nil
}

// GuestTimeLimitEnv names the container environment variable that sets
// the guest time limit, for messages.
const GuestTimeLimitEnv = "SPINOCI_GUEST_TIME_LIMIT"

// MaxInstanceMemoryEnv names the container environment variable that caps
// an instance's linear memory, for messages.
const MaxInstanceMemoryEnv = "SPIN_MAX_INSTANCE_MEMORY"
