package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestPoolLimits: modules beyond wasmtime's default pooling limits (a
// table of more than 20,000 elements, as large Go programs have; a memory
// grown to 100 MiB; two memories) run as they do with on-demand allocation.
func TestPoolLimits(t *testing.T) {
	for _, tc := range []struct{ name, from, to string }{
		{"large table", `(memory (export "memory") 64)`,
			`(memory (export "memory") 64) (table 30000 funcref)`},
		{"memory grown to 100 MiB", `(i32.const 0)`,
			`(if (i32.eq (memory.grow (i32.const 1536)) (i32.const -1)) (then unreachable)) (i32.const 0)`},
		{"two memories", `(memory (export "memory") 64)`,
			`(memory (export "memory") 64) (memory $second 1)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := spinWAT(echoHandler(200))
			wat := strings.Replace(base, tc.from, tc.to, 1)
			if wat == base {
				t.Fatal("fixture changed: nothing replaced")
			}
			a := singleApp(t, watFile(t, wat), "/...", nil, Config{})
			if a.host.slots == nil {
				t.Skip("no pooling allocator on this machine")
			}
			expect(t, do(t, a.Handler(), "POST", "/", "pooled"), 200, "pooled")
		})
	}
}

// TestInstanceSlotsQueue: with every instance slot taken, a request waits
// for one and gives up when its context ends.
func TestInstanceSlotsQueue(t *testing.T) {
	h := &host{slots: make(chan struct{}, 1)}
	release, err := h.acquireSlot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.acquireSlot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire with all slots taken and a cancelled context: %v", err)
	}
	release()
	release2, err := h.acquireSlot(ctx) // a free slot is taken even then
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	release2()
}
