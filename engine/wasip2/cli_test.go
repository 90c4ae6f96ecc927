package wasip2

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

func TestCLIEnvironmentToStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	f := newFixture(t, "cli", Config{
		Stdout: &stdout,
		Stderr: &stderr,
		Env:    [][2]string{{"A", "1"}, {"B", "two words"}},
	})
	if _, _, err := f.call(t, "print-env", 0); err != nil {
		t.Fatal(err)
	}
	if got, want := stdout.String(), "A=1\nB=two words\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got := stderr.String(); got != "done\n" {
		t.Errorf("stderr = %q, want %q", got, "done\n")
	}
}

// wasi:cli/exit traps the guest, saying how it exited.
func TestCLIExitTraps(t *testing.T) {
	f := newFixture(t, "cli", Config{})
	for code, want := range map[uint32]string{0: "guest called exit with success", 3: "guest called exit with failure"} {
		_, _, err := f.call(t, "exit", 0, capi.U32(code))
		var werr *capi.Error
		if !errors.As(err, &werr) || !strings.Contains(err.Error(), want) {
			t.Errorf("exit(%d): error = %v, want a trap saying %q", code, err, want)
		}
	}
}
