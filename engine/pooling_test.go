package engine

import (
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
			if a.core.InstanceLimit() == 0 {
				t.Skip("no pooling allocator on this machine")
			}
			expect(t, do(t, a.Handler(), "POST", "/", "pooled"), 200, "pooled")
		})
	}
}
