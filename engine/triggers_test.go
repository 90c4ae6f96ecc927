package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/executor/spinredis"
	"github.com/spinoci/spinoci/engine/wasip2"
	"github.com/spinoci/spinoci/test/testio"
	"github.com/spinoci/spinoci/test/testwasm"
)

// triggerApp loads an app whose only trigger is one of type triggerType on
// a component of wasm with env.
func triggerApp(t *testing.T, triggerType, wasm string, env map[string]string, cfg Config) *App {
	t.Helper()
	return load(t, triggerLock(t, triggerType, wasm, env), cfg)
}

// TestRedisHandlerSpin1: a Spin 1.x module's handle-redis-message gets the
// payload (it prints it), each message in a fresh instance; its error case
// is an error wrapping spinredis.ErrGuestFailed. The app serves no HTTP.
func TestRedisHandlerSpin1(t *testing.T) {
	var out testio.Buffer
	a := triggerApp(t, "redis", appPath("redis-spin1.wasm"), nil, Config{Stdout: &out})
	if a.ServesHTTP() {
		t.Error("ServesHTTP: an app with only a Redis trigger serves no HTTP")
	}
	h, err := a.RedisHandler(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, msg := range []string{"hello", "world"} {
		if err := h.HandleMessage(ctx, "ch", []byte(msg)); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
	}
	err = h.HandleMessage(ctx, "ch", []byte("fail"))
	if !errors.Is(err, spinredis.ErrGuestFailed) || !strings.Contains(err.Error(), `component "c"`) {
		t.Errorf("fail: got %v, want the guest's error naming the component", err)
	}
	a.stdout.Close() // flush
	if got, want := out.String(), "redis message: hello\nredis message: world\nredis message: fail\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
}

// TestRedisHandlerComponent: a component exporting
// fermyon:spin/inbound-redis gets the payload; its error case comes back
// as an error wrapping wasip2.ErrGuestFailed naming the case.
func TestRedisHandlerComponent(t *testing.T) {
	a := triggerApp(t, "redis", watComponent(t, "inbound-redis"), nil, Config{})
	h, err := a.RedisHandler(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.HandleMessage(context.Background(), "ch", []byte("ping")); err != nil {
		t.Errorf("ping: %v", err)
	}
	err = h.HandleMessage(context.Background(), "ch", []byte("pong"))
	if !errors.Is(err, wasip2.ErrGuestFailed) || !strings.HasSuffix(err.Error(), ": error") {
		t.Errorf("pong: got %v, want the guest's error case", err)
	}
}

// TestMQTTHandlerComponent: the plugin's handle-message gets the payload
// and the topic (the fixture returns other(<topic>) for payloads starting
// with "f").
func TestMQTTHandlerComponent(t *testing.T) {
	a := triggerApp(t, "mqtt", mqttHandler(t), nil, Config{})
	h, err := a.MQTTHandler(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.HandleMessage(context.Background(), "sensors/t1", []byte("21.5")); err != nil {
		t.Errorf("21.5: %v", err)
	}
	err = h.HandleMessage(context.Background(), "sensors/t1", []byte("fault"))
	if !errors.Is(err, wasip2.ErrGuestFailed) || !strings.Contains(err.Error(), "other(sensors/t1)") {
		t.Errorf("fault: got %v, want other(sensors/t1)", err)
	}
}

// TestTriggerHandlersRejectWrongShapes: a component without the trigger's
// export fails to load, naming what is missing.
func TestTriggerHandlersRejectWrongShapes(t *testing.T) {
	ctx := context.Background()
	a := triggerApp(t, "redis", appPath("hello.wasm"), nil, Config{})
	if _, err := a.RedisHandler(ctx, "c"); err == nil || !strings.Contains(err.Error(), `does not export "handle-redis-message"`) {
		t.Errorf("HTTP module as Redis handler: %v", err)
	}
	if _, err := a.MQTTHandler(ctx, "c"); err == nil || !strings.Contains(err.Error(), "this is a core module") {
		t.Errorf("core module as MQTT handler: %v", err)
	}
	if _, err := a.Command(ctx, "c"); err == nil || !strings.Contains(err.Error(), `does not export "_start"`) {
		t.Errorf("HTTP module as command: %v", err)
	}
	b := triggerApp(t, "redis", mqttHandler(t), nil, Config{})
	if _, err := b.RedisHandler(ctx, "c"); err == nil || !strings.Contains(err.Error(), "exports no fermyon:spin/inbound-redis") {
		t.Errorf("MQTT component as Redis handler: %v", err)
	}
	if _, err := b.Command(ctx, "c"); err == nil || !strings.Contains(err.Error(), "exports no wasi:cli/run") {
		t.Errorf("MQTT component as command: %v", err)
	}
}

// TestCommandModule runs a Go WASI command: its output goes to the app's
// streams, its environment is the component's, its exit status comes back.
func TestCommandModule(t *testing.T) {
	for _, status := range []string{"0", "3"} {
		var out, errOut testio.Buffer
		a := triggerApp(t, "command", appPath("command-go.wasm"),
			map[string]string{"GREETING": "hi", "EXIT_STATUS": status}, Config{Stdout: &out, Stderr: &errOut})
		c, err := a.Command(context.Background(), "c")
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Run(context.Background())
		if err != nil || got != int(status[0]-'0') {
			t.Errorf("status %s: Run = %d, %v", status, got, err)
		}
		a.stdout.Close()
		a.stderr.Close()
		if out.String() != "command says hi\n" || errOut.String() != "command stderr\n" {
			t.Errorf("status %s: stdout %q, stderr %q", status, out.String(), errOut.String())
		}
	}
}

// mqttHandler is test/apps/mqtt-handler.wat (also an e2e test app),
// assembled.
func mqttHandler(t *testing.T) string {
	t.Helper()
	return bytesFile(t, testwasm.AssembleFile(t, "../test/apps/mqtt-handler.wat"))
}

// cliRunComponent is a wasi:cli/run@0.2.0 component whose run either
// returns ok (0) or err (1), or calls wasi:cli/exit with an error (exit).
func cliRunComponent(t *testing.T, body string) string {
	t.Helper()
	wat := `(component
  (import "wasi:cli/exit@0.2.0" (instance $exit
    (export "exit" (func (param "status" (result))))))
  (alias export $exit "exit" (func $exit-f))
  (core func $exit-l (canon lower (func $exit-f)))
  (core module $m
    (import "host" "exit" (func $exit (param i32)))
    (func (export "run") (result i32) ` + body + `))
  (core instance $i (instantiate $m (with "host" (instance (export "exit" (func $exit-l))))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))`
	return bytesFile(t, testwasm.Assemble(t, wat))
}

// TestCommandComponent: a wasi:cli/run component's status is 0 when run
// returns ok, 1 when it returns err or calls wasi:cli/exit with an error
// (which is not a failure of the host: no error).
func TestCommandComponent(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"ok", `(i32.const 0)`, 0},
		{"err", `(i32.const 1)`, 1},
		{"exit", `(call $exit (i32.const 1)) (i32.const 0)`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := triggerApp(t, "command", cliRunComponent(t, tc.body), nil, Config{})
			c, err := a.Command(context.Background(), "c")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := c.Run(context.Background()); got != tc.want || err != nil {
				t.Errorf("Run = %d, %v; want %d, nil", got, err, tc.want)
			}
		})
	}
}
