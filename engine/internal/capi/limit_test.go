package capi

import (
	"testing"
)

// growWAT exports grow(), which grows its memory by 256 pages (16 MiB)
// and returns memory.grow's result (-1 when refused).
const growWAT = `(component
  (core module $m (memory 1)
    (func (export "grow") (result i32) (memory.grow (i32.const 256))))
  (core instance $i (instantiate $m))
  (func (export "grow") (result s32) (canon lift (core func $i "grow"))))`

func TestStoreLimitMemory(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	checkMemoryLimit(t, e)
}

// checkMemoryLimit checks that a Store of e caps its memory at its limit.
func checkMemoryLimit(t *testing.T, e *Engine) {
	t.Helper()
	c := compileWAT(t, e, growWAT)
	l := e.NewLinker()
	defer l.Close()
	for limit, want := range map[int64]S32{0: 1, 8 << 20: -1, 32 << 20: 1} {
		s := e.NewStore(nil)
		s.SetDeadline(1 << 30)
		s.LimitMemory(limit)
		if got := callOnce(t, l, s, c, "grow"); got != want {
			t.Errorf("limit %d: memory.grow = %v, want %v", limit, got, want)
		}
	}
}
