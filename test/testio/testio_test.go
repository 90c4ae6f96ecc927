package testio

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestBufferConcurrent: writes from several goroutines, with reads between
// them, all land whole (-race also checks the locking).
func TestBufferConcurrent(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("line\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "line\n"); n != 800 {
		t.Fatalf("%d lines, want 800", n)
	}
}

// TestProcStatusBytes: the calling process's resident memory is there, by
// pid and as pid 0, and grows with memory it touches.
func TestProcStatusBytes(t *testing.T) {
	before, err := ProcStatusBytes(0, "RssAnon")
	if err != nil || before <= 0 {
		t.Fatalf("RssAnon %d, %v", before, err)
	}
	touched := make([]byte, 32<<20)
	for i := range touched {
		touched[i] = 1
	}
	after, err := ProcStatusBytes(os.Getpid(), "RssAnon")
	if err != nil || after-before < 16<<20 {
		t.Errorf("RssAnon %d → %d (%v) after touching 32 MiB", before, after, err)
	}
	runtime.KeepAlive(touched)
	if _, err := ProcStatusBytes(0, "NoSuchField"); err == nil || !strings.Contains(err.Error(), "NoSuchField") {
		t.Errorf("a missing field: %v", err)
	}
}
