package appprocess

import (
	"strings"
	"testing"
)

func TestMaxRequestBodySize(t *testing.T) {
	for value, want := range map[string]int64{"": 0, "1048576": 1 << 20, "64MiB": 64 << 20, "2k": 2 << 10} {
		if got, err := maxRequestBodySize(value); err != nil || got != want {
			t.Errorf("%q: got %d, %v; want %d", value, got, err, want)
		}
	}
	for _, bad := range []string{"lots", "-5", "0"} {
		if _, err := maxRequestBodySize(bad); err == nil || !strings.Contains(err.Error(), maxRequestBodyEnv) {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}
