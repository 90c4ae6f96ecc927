package lock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Executor types reported in Executor.Type.
const (
	ExecutorSpin = "spin"
	ExecutorWagi = "wagi"
)

// WAGI defaults from Spin's WagiConfig.
const (
	DefaultWagiEntrypoint = "_start"
	DefaultWagiArgv       = "${SCRIPT_NAME} ${ARGS}"
)

// TriggerTypeHTTP is the trigger_type of HTTP triggers.
const TriggerTypeHTTP = "http"

// HTTPTrigger is an HTTP trigger resolved from its trigger_config.
type HTTPTrigger struct {
	ID        string
	Component string
	// Route as written in the lock (e.g. "/hello/..."); empty when Private.
	Route string
	// Private is set for v2 `route = { private = true }`: the component is
	// not reachable over HTTP (only through service chaining).
	Private  bool
	Executor Executor
}

// Executor says how a component handles HTTP requests.
type Executor struct {
	// Type is ExecutorSpin (lock value null, absent, "spin" or "http") or
	// ExecutorWagi.
	Type string
	// Entrypoint is the WAGI export to call; DefaultWagiEntrypoint if unset.
	// Empty for the Spin executor.
	Entrypoint string
	// Argv is the WAGI argv template; DefaultWagiArgv if unset. Empty for
	// the Spin executor.
	Argv string
}

// httpTriggerConfig is the trigger_config of an HTTP trigger.
type httpTriggerConfig struct {
	Component      *string         `json:"component"`
	Route          json.RawMessage `json:"route"`
	Executor       json.RawMessage `json:"executor"`
	StaticResponse json.RawMessage `json:"static_response"`
}

// HTTPTriggers returns the app's HTTP triggers in lock order. Triggers of
// other types are skipped; deciding whether they matter is up to the caller.
// A trigger without a component (e.g. a v2 static_response), naming an
// unknown component, with an unparsable route or an unknown executor is an
// error.
func (a *LockedApp) HTTPTriggers() ([]HTTPTrigger, error) {
	var out []HTTPTrigger
	for _, t := range a.Triggers {
		if t.TriggerType != TriggerTypeHTTP {
			continue
		}
		ht, err := a.parseHTTPTrigger(t)
		if err != nil {
			return nil, fmt.Errorf("lock: http trigger %q: %w", t.ID, err)
		}
		out = append(out, ht)
	}
	return out, nil
}

func (a *LockedApp) parseHTTPTrigger(t Trigger) (HTTPTrigger, error) {
	ht := HTTPTrigger{ID: t.ID}
	if isNull(t.TriggerConfig) {
		return ht, fmt.Errorf("no trigger_config: %w", ErrInvalid)
	}
	var cfg httpTriggerConfig
	if err := json.Unmarshal(t.TriggerConfig, &cfg); err != nil {
		return ht, fmt.Errorf("trigger_config: %w", err)
	}
	if cfg.Component == nil || *cfg.Component == "" {
		if !isNull(cfg.StaticResponse) {
			return ht, fmt.Errorf("static_response triggers are %w", ErrUnsupported)
		}
		return ht, fmt.Errorf("no component: %w", ErrInvalid)
	}
	ht.Component = *cfg.Component
	if _, ok := a.Component(ht.Component); !ok {
		return ht, fmt.Errorf("component %q does not exist: %w", ht.Component, ErrInvalid)
	}

	route, private, err := parseRoute(cfg.Route)
	if err != nil {
		return ht, err
	}
	ht.Route, ht.Private = route, private

	ex, err := parseExecutor(cfg.Executor)
	if err != nil {
		return ht, err
	}
	ht.Executor = ex
	return ht, nil
}

// parseRoute accepts a route string or the v2 object {"private": true}.
func parseRoute(raw json.RawMessage) (route string, private bool, err error) {
	if isNull(raw) {
		return "", false, fmt.Errorf("no route: %w", ErrInvalid)
	}
	if err := json.Unmarshal(raw, &route); err == nil {
		return route, false, nil
	}
	var obj struct {
		Private bool `json:"private"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || !obj.Private {
		return "", false, fmt.Errorf("route %s is neither a string nor {\"private\": true}: %w", raw, ErrInvalid)
	}
	return "", true, nil
}

// parseExecutor decodes Spin's internally tagged HttpExecutor.
func parseExecutor(raw json.RawMessage) (Executor, error) {
	if isNull(raw) {
		return Executor{Type: ExecutorSpin}, nil
	}
	var ex struct {
		Type       *string `json:"type"`
		Entrypoint *string `json:"entrypoint"`
		Argv       *string `json:"argv"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		return Executor{}, fmt.Errorf("executor %s: %w", raw, err)
	}
	if ex.Type == nil {
		return Executor{}, fmt.Errorf("executor %s has no type: %w", raw, ErrInvalid)
	}
	switch *ex.Type {
	case "spin", "http":
		return Executor{Type: ExecutorSpin}, nil
	case ExecutorWagi:
		out := Executor{Type: ExecutorWagi, Entrypoint: DefaultWagiEntrypoint, Argv: DefaultWagiArgv}
		if ex.Entrypoint != nil {
			out.Entrypoint = *ex.Entrypoint
		}
		if ex.Argv != nil {
			out.Argv = *ex.Argv
		}
		return out, nil
	default:
		return Executor{}, fmt.Errorf("executor type %q is %w", *ex.Type, ErrUnsupported)
	}
}

// HTTPBase returns the HTTP base path from metadata.trigger.base (Spin 1.x
// manifests), "/" when absent, with a leading "/" added if missing.
func (a *LockedApp) HTTPBase() string {
	raw, ok := a.Metadata["trigger"]
	if !ok {
		return "/"
	}
	var trig struct {
		Base string `json:"base"`
	}
	if err := json.Unmarshal(raw, &trig); err != nil || trig.Base == "" {
		return "/"
	}
	if !strings.HasPrefix(trig.Base, "/") {
		return "/" + trig.Base
	}
	return trig.Base
}

// isNull reports whether raw is absent or the JSON literal null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}
