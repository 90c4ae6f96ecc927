package engine

import (
	"fmt"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/executor/wagi"
)

// Container environment variables that bound what one guest may use.
const (
	// MaxInstanceMemoryEnv caps each instance's linear memory (bytes, or
	// with a unit such as 128MiB), as in Spin's shim: memory.grow beyond it
	// fails, so the guest traps or handles it and the request gets a 500.
	// Unset: no cap beyond wasm32's 4 GiB.
	MaxInstanceMemoryEnv = coremodule.MaxInstanceMemoryEnv
	// MaxWagiOutputEnv bounds a WAGI response's output (bytes, or with a
	// unit); over it the response is cut. Unset: DefaultMaxWagiOutput.
	MaxWagiOutputEnv = wagi.MaxOutputEnv
)

// DefaultMaxWagiOutput applies when MaxWagiOutputEnv is not set.
const DefaultMaxWagiOutput = 256 << 20

// guestLimits are the per-request bounds read from the container
// environment.
type guestLimits struct {
	time          time.Duration
	memory        int64
	wagiMaxOutput int64
}

func readGuestLimits(env []string) (guestLimits, error) {
	var l guestLimits
	var err error
	if l.time, err = guestTimeLimit(env); err != nil {
		return l, err
	}
	if l.memory, err = envSize(env, MaxInstanceMemoryEnv, 0); err != nil {
		return l, err
	}
	if l.wagiMaxOutput, err = envSize(env, MaxWagiOutputEnv, DefaultMaxWagiOutput); err != nil {
		return l, err
	}
	return l, nil
}

// envSize reads a positive size (bytes or with a unit) from env; def if
// name is unset.
func envSize(env []string, name string, def int64) (int64, error) {
	for i := len(env) - 1; i >= 0; i-- {
		v, ok := strings.CutPrefix(env[i], name+"=")
		if !ok {
			continue
		}
		n, err := units.RAMInBytes(v)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%s=%q: want a positive size such as 134217728 or 128MiB", name, v)
		}
		return n, nil
	}
	return def, nil
}

// epochTicker advances the App's engines' epochs every epochTick, so that
// stores reach their deadlines and their guests' time and requests are
// checked (coremodule and wasip2 EpochDeadline).
type epochTicker struct {
	stop, done chan struct{}
}

func startEpochTicker(advance func()) *epochTicker {
	t := &epochTicker{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		tk := time.NewTicker(epochTick)
		defer tk.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tk.C:
				advance()
			}
		}
	}()
	return t
}

// close stops the ticker and waits until it has.
func (t *epochTicker) close() {
	if t != nil {
		close(t.stop)
		<-t.done
	}
}
