package lock

import (
	"reflect"
	"strings"
	"testing"
)

func parseLock(t *testing.T, text string) *LockedApp {
	t.Helper()
	app, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

const triggersComponents = `"components": [{"id": "a", "source": {"content_type": "application/wasm", "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000"}}]`

// TestRedisTriggers: the address comes from the trigger, else from
// metadata.triggers.redis (Spin 2+), else from metadata.trigger (Spin 1.x).
func TestRedisTriggers(t *testing.T) {
	for name, tc := range map[string]struct {
		metadata, config string
		want             string
	}{
		"spin1":       {`{"trigger": {"type": "redis", "address": "redis://one:6379"}}`, `{"component": "a", "channel": "c"}`, "redis://one:6379"},
		"spin2":       {`{"triggers": {"redis": {"address": "redis://two:6379"}}, "trigger": {"type": "redis"}}`, `{"component": "a", "channel": "c"}`, "redis://two:6379"},
		"per-trigger": {`{"triggers": {"redis": {"address": "redis://two:6379"}}}`, `{"component": "a", "channel": "c", "address": "redis://three:6379"}`, "redis://three:6379"},
	} {
		t.Run(name, func(t *testing.T) {
			app := parseLock(t, `{"spin_lock_version": 1, "metadata": `+tc.metadata+`,
				"triggers": [{"id": "t", "trigger_type": "redis", "trigger_config": `+tc.config+`}], `+triggersComponents+`}`)
			got, err := app.RedisTriggers()
			if err != nil {
				t.Fatal(err)
			}
			want := []RedisTrigger{{ID: "t", Component: "a", Channel: "c", Address: tc.want}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestTriggerConfigErrors: each problem is named.
func TestTriggerConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		typ, metadata, config, want string
	}{
		"redis without address":  {"redis", `{}`, `{"component": "a", "channel": "c"}`, "no Redis address"},
		"redis without channel":  {"redis", `{"trigger": {"type": "redis", "address": "redis://x"}}`, `{"component": "a"}`, `redis trigger "t" has no channel`},
		"unknown component":      {"redis", `{}`, `{"component": "zz", "channel": "c"}`, `no component "zz"`},
		"mqtt without address":   {"mqtt", `{}`, `{"component": "a", "topic": "x"}`, "broker address"},
		"mqtt without topic":     {"mqtt", `{"trigger": {"type": "mqtt", "address": "mqtt://x"}}`, `{"component": "a"}`, "has no topic"},
		"mqtt bad qos":           {"mqtt", `{"trigger": {"type": "mqtt", "address": "mqtt://x"}}`, `{"component": "a", "topic": "x", "qos": "3"}`, "want 0, 1 or 2"},
		"command without config": {"command", `{}`, `null`, "has no trigger_config"},
	} {
		t.Run(name, func(t *testing.T) {
			app := parseLock(t, `{"spin_lock_version": 1, "metadata": `+tc.metadata+`,
				"triggers": [{"id": "t", "trigger_type": "`+tc.typ+`", "trigger_config": `+tc.config+`}], `+triggersComponents+`}`)
			var err error
			switch tc.typ {
			case TriggerTypeRedis:
				_, err = app.RedisTriggers()
			case TriggerTypeMQTT:
				_, err = app.MQTTTriggers()
			case TriggerTypeCommand:
				_, err = app.CommandTriggers()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestMQTTTriggers: the plugin's settings; qos as a string or a number.
func TestMQTTTriggers(t *testing.T) {
	app := parseLock(t, `{"spin_lock_version": 1,
		"metadata": {"triggers": {"mqtt": {"address": "mqtt://b:1883", "username": "u", "password": "p", "keep_alive_interval": 30}}},
		"triggers": [
			{"id": "t1", "trigger_type": "mqtt", "trigger_config": {"component": "a", "topic": "x/+", "qos": "1"}},
			{"id": "t2", "trigger_type": "mqtt", "trigger_config": {"component": "a", "topic": "y", "qos": 2}},
			{"id": "t3", "trigger_type": "command", "trigger_config": {"component": "a"}}], `+triggersComponents+`}`)
	got, err := app.MQTTTriggers()
	if err != nil {
		t.Fatal(err)
	}
	broker := MQTTBroker{Address: "mqtt://b:1883", Username: "u", Password: "p", KeepAliveSeconds: 30}
	want := []MQTTTrigger{
		{ID: "t1", Component: "a", Topic: "x/+", QoS: 1, Broker: broker},
		{ID: "t2", Component: "a", Topic: "y", QoS: 2, Broker: broker},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	cmds, err := app.CommandTriggers()
	if err != nil || !reflect.DeepEqual(cmds, []CommandTrigger{{ID: "t3", Component: "a"}}) {
		t.Errorf("CommandTriggers = %+v, %v", cmds, err)
	}
}
