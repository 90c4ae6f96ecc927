package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/testio"
)

// TestTriggerTierUp: the components of Redis, MQTT and command triggers,
// loaded after Load from the Winch code of a first start, run on it and
// move to the optimised code once an optimising stage has cached it (they
// kept their Winch code for the App's life before): later messages run
// the optimised code, in the App's Cranelift engine.
func TestTriggerTierUp(t *testing.T) {
	ctx := context.Background()
	handle := func(load func(*App, context.Context, string) (*MessageHandler, error), topic, msg string) func(*App) (*MessageHandler, func() error, error) {
		return func(a *App) (*MessageHandler, func() error, error) {
			h, err := load(a, ctx, "c")
			if err != nil {
				return nil, nil, err
			}
			return h, func() error { return h.HandleMessage(ctx, topic, []byte(msg)) }, nil
		}
	}
	for _, tc := range []struct {
		name, trigger, wasm string
		// load loads the trigger's component and returns its handler (nil
		// for a command) and one run of it.
		load func(*App) (*MessageHandler, func() error, error)
	}{
		{"redis component", "redis", watComponent(t, "inbound-redis"), handle((*App).RedisHandler, "ch", "ping")},
		{"redis module", "redis", appPath("redis-spin1.wasm"), handle((*App).RedisHandler, "ch", "hello")},
		{"mqtt component", "mqtt", mqttHandler(t), handle((*App).MQTTHandler, "sensors/t1", "21.5")},
		{"command component", "command", cliRunComponent(t, `(i32.const 0)`), func(a *App) (*MessageHandler, func() error, error) {
			c, err := a.Command(ctx, "c")
			if err != nil {
				return nil, nil, err
			}
			return nil, func() error {
				if status, err := c.Run(ctx); err != nil || status != 0 {
					return errors.Join(err, errors.New("exit status not 0"))
				}
				return nil
			}, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := triggerLock(t, tc.trigger, tc.wasm, nil)
			cache := t.TempDir()
			precompile(t, app, cache, TierFast)
			var logs testio.Buffer
			a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: cache, CacheOnly: true, Stdout: io.Discard, Stderr: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(a.Close)
			h, run, err := tc.load(a)
			if err != nil {
				t.Fatal(err)
			}
			if err := run(); err != nil {
				t.Fatalf("on the Winch code: %v", err)
			}
			if !loadedWinch(a) {
				t.Fatal("the trigger's component was not loaded from its Winch code")
			}
			winchCode := h != nil && h.code != nil && h.code.Load().Engine == a.components.winch.engine
			if h != nil && h.code != nil && !winchCode {
				t.Fatal("the component's messages do not run in the Winch engine")
			}

			if res := precompile(t, app, cache, TierOptimized); res != (Precompiled{Compiled: 1}) {
				t.Fatalf("optimising stage: %+v", res)
			}
			waitForLog(t, &logs, `msg="serving the optimised code" component=c`)
			for range 3 {
				if err := run(); err != nil {
					t.Fatalf("on the optimised code: %v", err)
				}
			}
			if winchCode && h.code.Load().Engine != a.components.engine {
				t.Error("after the move, new messages do not run in the App's Cranelift engine")
			}
		})
	}
}

// TestTierUpAddsAfterLoad: the tier-up poller takes upgrades at any time
// until Close: those added before Load is done wait for it, one added once
// the poller has stopped starts it again; Close stops it with upgrades
// pending, releases the code swapped in once, and takes no more.
func TestTierUpAddsAfterLoad(t *testing.T) {
	a := &App{cfg: Config{CacheDir: t.TempDir()}}
	var mu sync.Mutex
	cached := map[string]bool{}
	swapped := map[string]int{}
	released := map[string]int{}
	add := func(id string) {
		a.addUpgrade(upgrade{id: id, swap: func(context.Context) (func(), bool) {
			mu.Lock()
			defer mu.Unlock()
			if !cached[id] {
				return nil, false
			}
			swapped[id]++
			return func() { mu.Lock(); released[id]++; mu.Unlock() }, true
		}})
	}
	cache := func(id string) { mu.Lock(); cached[id] = true; mu.Unlock() }
	waitSwapped := func(id string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := swapped[id]
			mu.Unlock()
			if n == 1 {
				return
			}
			if n > 1 || time.Now().After(deadline) {
				t.Fatalf("%s swapped %d times, want once", id, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	idle := func() bool {
		a.tierUp.mu.Lock()
		defer a.tierUp.mu.Unlock()
		return !a.tierUp.polling
	}

	cache("http")
	add("http")
	time.Sleep(2 * tierUpPoll)
	if mu.Lock(); swapped["http"] != 0 {
		t.Fatal("swapped before Load was done")
	}
	mu.Unlock()
	a.startTierUp(context.Background())
	waitSwapped("http")
	for deadline := time.Now().Add(10 * time.Second); !idle(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the poller still runs with nothing pending")
		}
	}

	add("redis") // a trigger's component, after Load
	time.Sleep(2 * tierUpPoll)
	cache("redis")
	waitSwapped("redis")

	add("mqtt") // never cached
	a.tierUp.close()
	if !idle() {
		t.Error("the poller runs after Close")
	}
	add("late")
	if a.canUpgrade() || len(a.tierUp.pending) != 0 {
		t.Errorf("an upgrade was taken after Close (canUpgrade %v, pending %d)", a.canUpgrade(), len(a.tierUp.pending))
	}
	mu.Lock()
	defer mu.Unlock()
	if released["http"] != 1 || released["redis"] != 1 || released["mqtt"] != 0 {
		t.Errorf("released %v, want http and redis once", released)
	}
	if swapped["mqtt"] != 0 || swapped["late"] != 0 {
		t.Errorf("swapped %v", swapped)
	}
}

// TestTriggerTierUpFromCraneliftFast: a trigger's component loaded from
// Cranelift's fast code (where Winch is unusable) moves to the optimised
// code within the same engine.
func TestTriggerTierUpFromCraneliftFast(t *testing.T) {
	ctx := context.Background()
	wasm := watComponent(t, "inbound-redis")
	app := triggerLock(t, "redis", wasm, nil)
	cache := t.TempDir()
	fast, err := capi.NewEngineAt(capi.Fast)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	b := mustRead(t, wasm)
	if _, _, err := capi.PrecompileComponent(ctx, fast, b, sha256.Sum256(b), capi.NewCache(cache)); err != nil {
		t.Fatal(err)
	}
	var logs testio.Buffer
	lctx := logTo(&logs)
	a, err := loadLock(t, lctx, app, Config{CacheDir: cache, CacheOnly: true, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h, err := a.RedisHandler(lctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.HandleMessage(ctx, "ch", []byte("ping")); err != nil {
		t.Fatal(err)
	}
	fastCode := h.code.Load()
	if !strings.Contains(logs.String(), "tier=fast") || loadedWinch(a) || fastCode.Engine != a.components.engine {
		t.Fatalf("the component was not loaded from Cranelift's fast code into the Cranelift engine (Winch engine %v):\n%s", loadedWinch(a), &logs)
	}
	precompile(t, app, cache, TierOptimized)
	waitForLog(t, &logs, `msg="serving the optimised code" component=c`)
	if err := h.HandleMessage(ctx, "ch", []byte("ping")); err != nil {
		t.Fatalf("on the optimised code: %v", err)
	}
	if now := h.code.Load(); now.Component == fastCode.Component || now.Engine != a.components.engine {
		t.Error("after the move, new messages do not run the optimised code in the Cranelift engine")
	}
}
