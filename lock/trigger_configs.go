package lock

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Trigger types this runtime starts, besides TriggerTypeHTTP (all are in
// SupportedTriggerTypes).
const (
	TriggerTypeRedis   = "redis"
	TriggerTypeMQTT    = "mqtt"
	TriggerTypeCommand = "command"
)

// RedisTrigger is a Redis trigger: messages published on Channel run
// Component.
type RedisTrigger struct {
	ID        string
	Component string
	Channel   string
	// Address is the server's URL (redis://host:port): the trigger's own
	// address (Spin 3) or else the application's.
	Address string
}

// MQTTTrigger is an MQTT trigger (the spin-trigger-mqtt plugin): messages
// on Topic, subscribed with QoS, run Component.
type MQTTTrigger struct {
	ID        string
	Component string
	Topic     string
	QoS       byte
	// Broker is the application's MQTT settings.
	Broker MQTTBroker
}

// MQTTBroker is the application-level MQTT trigger settings.
type MQTTBroker struct {
	Address  string `json:"address"`
	Username string `json:"username"`
	Password string `json:"password"`
	// KeepAliveSeconds is keep_alive_interval (seconds; 0: the client's
	// default).
	KeepAliveSeconds uint64 `json:"keep_alive_interval"`
}

// CommandTrigger runs Component once (a wasi:cli/run component or a WASI
// command module).
type CommandTrigger struct {
	ID        string
	Component string
}

// TriggerMetadata decodes the application-level settings of triggerType
// into dst: metadata.triggers.<type> (Spin 2+ locks) or metadata.trigger
// when its type is triggerType (Spin 1.x locks). It reports whether either
// was present.
func (a *LockedApp) TriggerMetadata(triggerType string, dst any) (bool, error) {
	if raw, ok := a.Metadata["triggers"]; ok && !isNull(raw) {
		var byType map[string]json.RawMessage
		if err := json.Unmarshal(raw, &byType); err != nil {
			return false, fmt.Errorf("lock: metadata \"triggers\": %w", err)
		}
		if raw, ok := byType[triggerType]; ok && !isNull(raw) {
			if err := json.Unmarshal(raw, dst); err != nil {
				return false, fmt.Errorf("lock: metadata triggers.%s: %w", triggerType, err)
			}
			return true, nil
		}
	}
	raw, ok := a.Metadata["trigger"]
	if !ok || isNull(raw) {
		return false, nil
	}
	var typed struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &typed); err != nil {
		return false, fmt.Errorf("lock: metadata \"trigger\": %w", err)
	}
	if typed.Type != triggerType {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return false, fmt.Errorf("lock: metadata \"trigger\": %w", err)
	}
	return true, nil
}

// triggerConfigs decodes the trigger_config of every trigger of type tt,
// checking that each names a known component.
func triggerConfigs[C any](a *LockedApp, tt string, component func(*C) string) ([]Trigger, []C, error) {
	var ts []Trigger
	var cs []C
	for _, t := range a.Triggers {
		if t.TriggerType != tt {
			continue
		}
		var c C
		if isNull(t.TriggerConfig) {
			return nil, nil, fmt.Errorf("lock: %s trigger %q has no trigger_config", tt, t.ID)
		}
		if err := json.Unmarshal(t.TriggerConfig, &c); err != nil {
			return nil, nil, fmt.Errorf("lock: %s trigger %q: %w", tt, t.ID, err)
		}
		id := component(&c)
		if id == "" {
			return nil, nil, fmt.Errorf("lock: %s trigger %q names no component", tt, t.ID)
		}
		if _, ok := a.Component(id); !ok {
			return nil, nil, fmt.Errorf("lock: %s trigger %q: no component %q", tt, t.ID, id)
		}
		ts = append(ts, t)
		cs = append(cs, c)
	}
	return ts, cs, nil
}

// RedisTriggers returns the app's Redis triggers in lock order. A trigger
// without a channel, a component the lock lacks, or no address (neither its
// own nor the application's) is an error.
func (a *LockedApp) RedisTriggers() ([]RedisTrigger, error) {
	type config struct {
		Component string `json:"component"`
		Channel   string `json:"channel"`
		Address   string `json:"address"`
	}
	ts, cs, err := triggerConfigs(a, TriggerTypeRedis, func(c *config) string { return c.Component })
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	var app struct {
		Address string `json:"address"`
	}
	if _, err := a.TriggerMetadata(TriggerTypeRedis, &app); err != nil {
		return nil, err
	}
	out := make([]RedisTrigger, len(ts))
	for i, c := range cs {
		addr := c.Address
		if addr == "" {
			addr = app.Address
		}
		if c.Channel == "" {
			return nil, fmt.Errorf("lock: redis trigger %q has no channel", ts[i].ID)
		}
		if addr == "" {
			return nil, fmt.Errorf("lock: redis trigger %q: no Redis address (set address in [application.trigger.redis])", ts[i].ID)
		}
		out[i] = RedisTrigger{ID: ts[i].ID, Component: c.Component, Channel: c.Channel, Address: addr}
	}
	return out, nil
}

// MQTTTriggers returns the app's MQTT triggers in lock order. A trigger
// without a topic, with a QoS other than 0, 1 or 2, or an app without a
// broker address is an error.
func (a *LockedApp) MQTTTriggers() ([]MQTTTrigger, error) {
	type config struct {
		Component string          `json:"component"`
		Topic     string          `json:"topic"`
		QoS       json.RawMessage `json:"qos"`
	}
	ts, cs, err := triggerConfigs(a, TriggerTypeMQTT, func(c *config) string { return c.Component })
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	var broker MQTTBroker
	if _, err := a.TriggerMetadata(TriggerTypeMQTT, &broker); err != nil {
		return nil, err
	}
	if broker.Address == "" {
		return nil, fmt.Errorf("lock: mqtt triggers need a broker address (address in [application.trigger.mqtt])")
	}
	out := make([]MQTTTrigger, len(ts))
	for i, c := range cs {
		if c.Topic == "" {
			return nil, fmt.Errorf("lock: mqtt trigger %q has no topic", ts[i].ID)
		}
		qos, err := parseQoS(c.QoS)
		if err != nil {
			return nil, fmt.Errorf("lock: mqtt trigger %q: %w", ts[i].ID, err)
		}
		out[i] = MQTTTrigger{ID: ts[i].ID, Component: c.Component, Topic: c.Topic, QoS: qos, Broker: broker}
	}
	return out, nil
}

// parseQoS reads qos, which the plugin's manifests write as a string
// ("1") and JSON locks may carry as a number; absent means 0.
func parseQoS(raw json.RawMessage) (byte, error) {
	if isNull(raw) {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(raw)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 2 {
		return 0, fmt.Errorf("qos %s: want 0, 1 or 2", raw)
	}
	return byte(n), nil
}

// CommandTriggers returns the app's command triggers in lock order.
func (a *LockedApp) CommandTriggers() ([]CommandTrigger, error) {
	type config struct {
		Component string `json:"component"`
	}
	ts, cs, err := triggerConfigs(a, TriggerTypeCommand, func(c *config) string { return c.Component })
	if err != nil {
		return nil, err
	}
	out := make([]CommandTrigger, len(ts))
	for i, c := range cs {
		out[i] = CommandTrigger{ID: ts[i].ID, Component: c.Component}
	}
	return out, nil
}
