// Package frontenv reads the knobs of an app's HTTP front (timeouts,
// connections, request body size) and of its instance pools' renewal from
// the environment: the container's for the shim's app process, spinoci's
// own for `spinoci run`, so that both run an app alike.
package frontenv

import (
	"fmt"
	"strconv"
	"time"

	"github.com/docker/go-units"

	"github.com/spinoci/spinoci/engine"
)

// Environment variables that bound the HTTP front (see README's limits
// table). Unset: the engine's defaults.
const (
	// ShutdownTimeoutEnv: how long SIGTERM waits for in-flight requests
	// before interrupting them (a Go duration).
	ShutdownTimeoutEnv = engine.ShutdownTimeoutEnv
	// IdleTimeoutEnv: keep-alive connections idle that long are closed.
	IdleTimeoutEnv = "SPINOCI_IDLE_TIMEOUT"
	// ReadTimeoutEnv: bound on reading a whole request, body included.
	ReadTimeoutEnv = "SPINOCI_READ_TIMEOUT"
	// MaxConnectionsEnv: bound on concurrent connections.
	MaxConnectionsEnv = "SPINOCI_MAX_CONNECTIONS"
	// PoolRenewIdleEnv: how long the app is idle before its instance
	// pools give back the memory of their busiest moment ("0": never, nor
	// is the core modules' pool renewed to fit their memory reset).
	PoolRenewIdleEnv = "SPINOCI_POOL_RENEW_IDLE"
	// MaxRequestBodyEnv bounds request bodies (bytes, or with a unit such
	// as 64MiB); larger ones get 413.
	MaxRequestBodyEnv = "SPINOCI_MAX_REQUEST_BODY_SIZE"
	// HTTPServerEnv chooses the HTTP server: "fasthttp" (the default:
	// fasthttp for apps whose routes all run Spin 1.x modules, net/http
	// for the others) or "net/http" (net/http for every app).
	HTTPServerEnv = "SPINOCI_HTTP_SERVER"
)

// maxShutdownTimeout keeps a stop within Kubernetes' default grace period
// (30 s) with room for the interruption and the shim's own work.
const maxShutdownTimeout = 25 * time.Second

// Read reads the HTTP front's knobs (timeouts, connections, request body
// size) and the pools' renewal from getenv into cfg.
func Read(getenv func(string) string, cfg *engine.Config) error {
	var err error
	if cfg.ShutdownTimeout, err = envDuration(getenv, ShutdownTimeoutEnv); err != nil {
		return err
	}
	if cfg.ShutdownTimeout > maxShutdownTimeout {
		return fmt.Errorf("%s=%q: at most %v, so that a stop fits Kubernetes' default grace period of 30s",
			ShutdownTimeoutEnv, getenv(ShutdownTimeoutEnv), maxShutdownTimeout)
	}
	if cfg.IdleTimeout, err = envDuration(getenv, IdleTimeoutEnv); err != nil {
		return err
	}
	if cfg.ReadTimeout, err = envDuration(getenv, ReadTimeoutEnv); err != nil {
		return err
	}
	if getenv(PoolRenewIdleEnv) == "0" {
		cfg.PoolRenewIdle = -1
	} else if cfg.PoolRenewIdle, err = envDuration(getenv, PoolRenewIdleEnv); err != nil {
		return err
	}
	if cfg.MaxRequestBodySize, err = maxRequestBodySize(getenv(MaxRequestBodyEnv)); err != nil {
		return err
	}
	switch v := getenv(HTTPServerEnv); v {
	case "", "fasthttp", "net/http":
		cfg.NetHTTPFront = v == "net/http"
	default:
		return fmt.Errorf("%s=%q: want fasthttp (the default) or net/http", HTTPServerEnv, v)
	}
	if v := getenv(MaxConnectionsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s=%q: want a positive number of connections", MaxConnectionsEnv, v)
		}
		cfg.MaxConnections = n
	}
	return nil
}

// envDuration parses a positive Go duration; "" is 0 (the default).
func envDuration(getenv func(string) string, name string) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 30s", name, v)
	}
	return d, nil
}

// maxRequestBodySize parses MaxRequestBodyEnv's value; "" is 0 (the
// engine's default).
func maxRequestBodySize(value string) (int64, error) {
	if value == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(value)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive size such as 10485760 or 64MiB", MaxRequestBodyEnv, value)
	}
	return n, nil
}
