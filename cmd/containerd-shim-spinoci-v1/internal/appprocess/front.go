package appprocess

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spinoci/spinoci/engine"
)

// Container environment variables that bound the HTTP front (see README's
// limits table). Unset: the engine's defaults.
const (
	// shutdownTimeoutEnv: how long SIGTERM waits for in-flight requests
	// before interrupting them (a Go duration).
	shutdownTimeoutEnv = engine.ShutdownTimeoutEnv
	// idleTimeoutEnv: keep-alive connections idle that long are closed.
	idleTimeoutEnv = "SPINOCI_IDLE_TIMEOUT"
	// readTimeoutEnv: bound on reading a whole request, body included.
	readTimeoutEnv = "SPINOCI_READ_TIMEOUT"
	// maxConnectionsEnv: bound on concurrent connections.
	maxConnectionsEnv = "SPINOCI_MAX_CONNECTIONS"
	// poolRenewIdleEnv: how long the app is idle before its instance
	// pools give back the memory of their busiest moment ("0": never).
	poolRenewIdleEnv = "SPINOCI_POOL_RENEW_IDLE"
)

// maxShutdownTimeout keeps a stop within Kubernetes' default grace period
// (30 s) with room for the interruption and the shim's own work.
const maxShutdownTimeout = 25 * time.Second

// frontConfig reads the HTTP front's knobs (and the pools' renewal) from
// getenv into cfg.
func frontConfig(getenv func(string) string, cfg *engine.Config) error {
	var err error
	if cfg.ShutdownTimeout, err = envDuration(getenv, shutdownTimeoutEnv); err != nil {
		return err
	}
	if cfg.ShutdownTimeout > maxShutdownTimeout {
		return fmt.Errorf("%s=%q: at most %v, so that a stop fits Kubernetes' default grace period of 30s",
			shutdownTimeoutEnv, getenv(shutdownTimeoutEnv), maxShutdownTimeout)
	}
	if cfg.IdleTimeout, err = envDuration(getenv, idleTimeoutEnv); err != nil {
		return err
	}
	if cfg.ReadTimeout, err = envDuration(getenv, readTimeoutEnv); err != nil {
		return err
	}
	if getenv(poolRenewIdleEnv) == "0" {
		cfg.PoolRenewIdle = -1
	} else if cfg.PoolRenewIdle, err = envDuration(getenv, poolRenewIdleEnv); err != nil {
		return err
	}
	if v := getenv(maxConnectionsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s=%q: want a positive number of connections", maxConnectionsEnv, v)
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
