package frontenv

import (
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/engine"
)

// TestRead: each variable sets its knob; bad values are errors that name
// the variable.
func TestRead(t *testing.T) {
	env := map[string]string{
		ShutdownTimeoutEnv: "20s", IdleTimeoutEnv: "5s", ReadTimeoutEnv: "1m", MaxConnectionsEnv: "100",
		PoolRenewIdleEnv: "2m", MaxRequestBodyEnv: "64MiB", HTTPServerEnv: "net/http",
	}
	var cfg engine.Config
	if err := Read(func(k string) string { return env[k] }, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ShutdownTimeout != 20*time.Second || cfg.IdleTimeout != 5*time.Second || cfg.ReadTimeout != time.Minute || cfg.MaxConnections != 100 ||
		cfg.PoolRenewIdle != 2*time.Minute || cfg.MaxRequestBodySize != 64<<20 || !cfg.NetHTTPFront {
		t.Errorf("config %+v", cfg)
	}
	env[HTTPServerEnv] = "fasthttp"
	if err := Read(func(k string) string { return env[k] }, &cfg); err != nil || cfg.NetHTTPFront {
		t.Errorf("%s=fasthttp: net/http front %v (%v)", HTTPServerEnv, cfg.NetHTTPFront, err)
	}
	env[PoolRenewIdleEnv] = "0"
	if err := Read(func(k string) string { return env[k] }, &cfg); err != nil || cfg.PoolRenewIdle >= 0 {
		t.Errorf("%s=0: renewal after %v (%v), want never", PoolRenewIdleEnv, cfg.PoolRenewIdle, err)
	}
	for name, bad := range map[string]string{
		ShutdownTimeoutEnv: "26s", IdleTimeoutEnv: "soon", ReadTimeoutEnv: "-1s", MaxConnectionsEnv: "0",
		PoolRenewIdleEnv: "-5s", MaxRequestBodyEnv: "lots", HTTPServerEnv: "hyper",
	} {
		err := Read(func(k string) string {
			if k == name {
				return bad
			}
			return ""
		}, &engine.Config{})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: got %v, want an error naming it", name, bad, err)
		}
	}
}

// TestMaxRequestBodySize: sizes are bytes or take a unit; nothing else,
// nor zero, is one.
func TestMaxRequestBodySize(t *testing.T) {
	for value, want := range map[string]int64{"": 0, "1048576": 1 << 20, "64MiB": 64 << 20, "2k": 2 << 10} {
		if got, err := maxRequestBodySize(value); err != nil || got != want {
			t.Errorf("%q: got %d, %v; want %d", value, got, err, want)
		}
	}
	for _, bad := range []string{"lots", "-5", "0"} {
		if _, err := maxRequestBodySize(bad); err == nil || !strings.Contains(err.Error(), MaxRequestBodyEnv) {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}
