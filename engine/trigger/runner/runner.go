package runner

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/engine/trigger/command"
	"github.com/spinoci/spinoci/engine/trigger/mqtt"
	"github.com/spinoci/spinoci/engine/trigger/redis"
	"github.com/spinoci/spinoci/lock"
)

// Triggers are the app's non-HTTP triggers, loaded.
type Triggers struct {
	// services run until their context ends (Redis, MQTT).
	services []func(ctx context.Context) error
	// commands run once; the app then exits with their status.
	commands []command.Runner
}

// Load loads the components of lk's Redis, MQTT and command triggers into
// eng, so that a bad one fails the start. lk is the app eng was loaded from.
func Load(ctx context.Context, eng *engine.App, lk *lock.LockedApp) (*Triggers, error) {
	var out Triggers
	redisTriggers, err := lk.RedisTriggers()
	if err != nil {
		return nil, err
	}
	byAddress := map[string]*redis.Trigger{}
	for _, t := range redisTriggers {
		h, err := eng.RedisHandler(ctx, t.Component)
		if err != nil {
			return nil, fmt.Errorf("redis trigger %q: %w", t.ID, err)
		}
		rt, ok := byAddress[t.Address]
		if !ok {
			rt = &redis.Trigger{Address: t.Address}
			byAddress[t.Address] = rt
			out.services = append(out.services, rt.Run)
		}
		rt.Subscriptions = append(rt.Subscriptions, redis.Subscription{Channel: t.Channel, Handler: h})
	}

	mqttTriggers, err := lk.MQTTTriggers()
	if err != nil {
		return nil, err
	}
	if len(mqttTriggers) > 0 {
		b := mqttTriggers[0].Broker
		mt := &mqtt.Trigger{Broker: mqtt.Broker{
			Address: b.Address, Username: b.Username, Password: b.Password,
			KeepAlive: time.Duration(b.KeepAliveSeconds) * time.Second,
		}}
		for _, t := range mqttTriggers {
			h, err := eng.MQTTHandler(ctx, t.Component)
			if err != nil {
				return nil, fmt.Errorf("mqtt trigger %q: %w", t.ID, err)
			}
			mt.Subscriptions = append(mt.Subscriptions, mqtt.Subscription{Topic: t.Topic, QoS: t.QoS, Handler: h})
		}
		out.services = append(out.services, mt.Run)
	}

	commandTriggers, err := lk.CommandTriggers()
	if err != nil {
		return nil, err
	}
	for _, t := range commandTriggers {
		c, err := eng.Command(ctx, t.Component)
		if err != nil {
			return nil, fmt.Errorf("command trigger %q: %w", t.ID, err)
		}
		out.commands = append(out.commands, c)
	}
	return &out, nil
}

// ListensHTTP tells whether the app needs an HTTP listener: it has HTTP
// triggers, or no trigger of another type. An app whose triggers are all of
// other types serves no HTTP.
func (t *Triggers) ListensHTTP(eng *engine.App) bool {
	return eng.ServesHTTP() || (len(t.services) == 0 && len(t.commands) == 0)
}

// HasNonHTTP tells whether the app has triggers of other types than HTTP.
func (t *Triggers) HasNonHTTP() bool {
	return len(t.services) > 0 || len(t.commands) > 0
}

// Serve runs the app's triggers: HTTP on ln (when not nil), the services
// until ctx ends, the commands once. It returns the exit status: once ctx
// ends (0 unless something failed) or, for an app whose only triggers are
// commands, once they are done (their status). A trigger that fails stops
// the others; the status is then 1.
func (t *Triggers) Serve(ctx context.Context, eng *engine.App, ln net.Listener) int {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var failed atomic.Bool
	var wg sync.WaitGroup
	run := func(name string, f func(context.Context) error) {
		wg.Go(func() {
			if err := f(ctx); err != nil {
				log.G(ctx).WithError(err).Errorf("%s stopped", name)
				failed.Store(true)
				stop()
			}
		})
	}
	if ln != nil {
		run("serving HTTP", func(ctx context.Context) error { return eng.Serve(ctx, ln) })
	}
	for _, s := range t.services {
		run("trigger", s)
	}
	status := 0
	if len(t.commands) > 0 {
		status = command.Run(ctx, t.commands)
		if ln == nil && len(t.services) == 0 {
			stop()
		}
	}
	wg.Wait()
	if status == 0 && failed.Load() {
		status = 1
	}
	return status
}
