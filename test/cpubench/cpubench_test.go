package cpubench

import (
	"testing"
	"time"
)

func TestProcessCPUCountsWork(t *testing.T) {
	before := processCPU(t)
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	if used := processCPU(t) - before; used < 10*time.Millisecond {
		t.Errorf("50 ms of busy work used %v of CPU (%d rounds), want ≥ 10 ms", used, x)
	}
}

func BenchmarkStart(b *testing.B) {
	report := Start(b)
	for b.Loop() {
		time.Sleep(time.Microsecond)
	}
	report()
}
