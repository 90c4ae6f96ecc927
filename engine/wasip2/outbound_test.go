package wasip2

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/spinoci/spinoci/engine/capability/mqtt"
	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/engine/capability/redis"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/servers"
)

// instance is one instance of a fixture, called several times (its
// resources live across calls) until the test ends.
type instance struct {
	t    *testing.T
	st   *State
	inst *capi.Instance
}

func (f *fixture) instantiate(t *testing.T) *instance {
	t.Helper()
	st := f.host.NewState(context.Background())
	store := f.hd.Engine.NewStore(st)
	t.Cleanup(func() {
		store.Close()
		st.closeAll()
	})
	inst, err := f.hd.Linker.Instantiate(context.Background(), store, f.hd.Component)
	if err != nil {
		t.Fatal(err)
	}
	return &instance{t: t, st: st, inst: inst}
}

// call calls export name, which has a result unless it is a drop.
func (in *instance) call(name string, args ...capi.Val) capi.Val {
	in.t.Helper()
	fn, err := in.inst.Func(name)
	if err != nil {
		in.t.Fatal(err)
	}
	n := 1
	if strings.HasSuffix(name, "-drop") {
		n = 0
	}
	out, err := fn.Call(n, args...)
	if err != nil {
		in.t.Fatalf("%s: %v", name, err)
	}
	if n == 0 {
		return nil
	}
	return out[0]
}

func errCase(v capi.Val) string {
	r := v.(capi.Result)
	if r.Ok {
		return "ok"
	}
	switch e := r.Val.(type) {
	case capi.Variant:
		return e.Case
	case capi.Enum:
		return string(e)
	}
	return fmt.Sprintf("%#v", r.Val)
}

func TestRedisBinding(t *testing.T) {
	srv := servers.Redis(t)
	f := newFixture(t, "outbound", Config{Redis: redis.NewAccess(networktest.AllowList(t, fmt.Sprintf("redis://127.0.0.1:%d", srv.Port)))})
	in := f.instantiate(t)
	s := func(v string) capi.Val { return capi.String(v) }
	strs := func(vs ...string) capi.List {
		out := capi.List{}
		for _, v := range vs {
			out = append(out, capi.String(v))
		}
		return out
	}
	open := in.call("redis-open", s(srv.RedisURL())).(capi.Result)
	if !open.Ok {
		t.Fatalf("open = %#v", open)
	}
	conn := open.Val
	for _, tc := range []struct {
		name string
		args []capi.Val
		want capi.Val
	}{
		{"redis-get", []capi.Val{conn, s("k")}, capi.Ok(capi.None)},
		{"redis-set", []capi.Val{conn, s("k"), capi.Bytes{0, 'v'}}, capi.Ok(nil)},
		{"redis-get", []capi.Val{conn, s("k")}, capi.Ok(capi.Some(capi.Bytes{0, 'v'}))},
		{"redis-incr", []capi.Val{conn, s("n")}, capi.Ok(capi.S64(1))},
		{"redis-sadd", []capi.Val{conn, s("set"), strs("a", "b", "a")}, capi.Ok(capi.U32(2))},
		{"redis-srem", []capi.Val{conn, s("set"), strs("a", "z")}, capi.Ok(capi.U32(1))},
		{"redis-smembers", []capi.Val{conn, s("set")}, capi.Ok(strs("b"))},
		{"redis-publish", []capi.Val{conn, s("ch"), capi.Bytes("hi")}, capi.Ok(nil)},
		{"redis-execute", []capi.Val{conn, s("SET"), capi.List{capi.Variant{Case: "binary", Val: capi.Bytes("e")}, capi.Variant{Case: "int64", Val: capi.S64(41)}}},
			capi.Ok(capi.List{capi.Variant{Case: "status", Val: s("OK")}})},
		{"redis-execute", []capi.Val{conn, s("INCR"), capi.List{capi.Variant{Case: "binary", Val: capi.Bytes("e")}}},
			capi.Ok(capi.List{capi.Variant{Case: "int64", Val: capi.S64(42)}})},
		{"redis-execute", []capi.Val{conn, s("MGET"), capi.List{capi.Variant{Case: "binary", Val: capi.Bytes("e")}, capi.Variant{Case: "binary", Val: capi.Bytes("none")}}},
			capi.Ok(capi.List{capi.Variant{Case: "binary", Val: capi.Bytes("42")}, capi.Variant{Case: "nil"}})},
		{"redis-del", []capi.Val{conn, strs("k", "n", "none")}, capi.Ok(capi.U32(2))},
	} {
		if got := in.call(tc.name, tc.args...); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s%v = %#v, want %#v", tc.name, tc.args[1:], got, tc.want)
		}
	}
	// Errors: type-error, other (with the server's message), invalid-address.
	if got := errCase(in.call("redis-sadd", conn, s("e"), strs("x"))); got != "type-error" {
		t.Errorf("sadd on a string = %s, want type-error", got)
	}
	other := in.call("redis-execute", conn, s("NOSUCH"), capi.List{}).(capi.Result)
	if v, ok := other.Val.(capi.Variant); other.Ok || !ok || v.Case != "other" || !strings.Contains(string(v.Val.(capi.String)), "unknown command") {
		t.Errorf("execute NOSUCH = %#v, want other naming the unknown command", other)
	}
	for _, addr := range []string{"redis://127.0.0.1:1", "redis://localhost:" + fmt.Sprint(srv.Port), "http://127.0.0.1/", "nonsense"} {
		if got := errCase(in.call("redis-open", s(addr))); got != "invalid-address" {
			t.Errorf("open(%s) = %s, want invalid-address", addr, got)
		}
	}
	// The unversioned interface: address per call, enum error.
	if got := in.call("redis1-set", s(srv.RedisURL()), s("v1"), capi.Bytes("x")); !reflect.DeepEqual(got, capi.Ok(nil)) {
		t.Errorf("v1 set = %#v", got)
	}
	if got := in.call("redis1-get", s(srv.RedisURL()), s("v1")); !reflect.DeepEqual(got, capi.Ok(capi.Bytes("x"))) {
		t.Errorf("v1 get = %#v", got)
	}
	if got := in.call("redis1-get", s(srv.RedisURL()), s("missing")); !reflect.DeepEqual(got, capi.Ok(capi.List{})) && !reflect.DeepEqual(got, capi.Ok(capi.Bytes{})) {
		t.Errorf("v1 get(missing) = %#v, want an empty payload", got)
	}
	if got := errCase(in.call("redis1-incr", s(srv.RedisURL()), s("v1"))); got != "error" {
		t.Errorf("v1 incr on text = %s, want error", got)
	}
	if got := errCase(in.call("redis1-get", s("redis://127.0.0.1:1"), s("k"))); got != "error" {
		t.Errorf("v1 get from a denied address = %s, want error", got)
	}

	// too-many-connections: conn, the unversioned interface's and
	// MaxConnections-2 more fill the instance.
	var more []capi.Val
	for range redis.MaxConnections - 2 {
		r := in.call("redis-open", s(srv.RedisURL())).(capi.Result)
		if !r.Ok {
			t.Fatalf("open: %#v", r)
		}
		more = append(more, r.Val)
	}
	if got := errCase(in.call("redis-open", s(srv.RedisURL()))); got != "too-many-connections" {
		t.Errorf("open beyond the limit = %s, want too-many-connections", got)
	}
	in.call("redis-drop", more[0])
	if got := errCase(in.call("redis-open", s(srv.RedisURL()))); got != "ok" {
		t.Errorf("open after a drop = %s", got)
	}

	// Without the capability every address is invalid.
	bare := newFixture(t, "outbound", Config{}).instantiate(t)
	if got := errCase(bare.call("redis-open", s(srv.RedisURL()))); got != "invalid-address" {
		t.Errorf("open without Redis = %s", got)
	}
}

func TestMQTTBinding(t *testing.T) {
	srv := servers.Mosquitto(t, "u", "p")
	got := make(chan paho.Message, 10)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + srv.Addr()).SetClientID("sub").SetUsername("u").SetPassword("p"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe("spin/#", 2, func(_ paho.Client, m paho.Message) { got <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	f := newFixture(t, "outbound", Config{MQTT: mqtt.NewAccess(networktest.AllowList(t, fmt.Sprintf("mqtt://127.0.0.1:%d", srv.Port)))})
	in := f.instantiate(t)
	s := func(v string) capi.Val { return capi.String(v) }
	addr := srv.MQTTURL() + "?client_id=guest"
	open := in.call("mqtt-open", s(addr), s("u"), s("p"), capi.U64(30)).(capi.Result)
	if !open.Ok {
		t.Fatalf("open = %#v", open)
	}
	conn := open.Val
	for n, qos := range []string{"at-most-once", "at-least-once", "exactly-once"} {
		topic := "spin/" + qos
		if r := in.call("mqtt-publish", conn, s(topic), capi.Bytes(qos), capi.Enum(qos)); !reflect.DeepEqual(r, capi.Ok(nil)) {
			t.Fatalf("publish %s = %#v", qos, r)
		}
		select {
		case m := <-got:
			if m.Topic() != topic || string(m.Payload()) != qos || int(m.Qos()) != n {
				t.Errorf("received %s %q qos %d, want %s qos %d", m.Topic(), m.Payload(), m.Qos(), topic, n)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: nothing received", qos)
		}
	}
	if r := errCase(in.call("mqtt-publish", conn, s("spin/#"), capi.Bytes("x"), capi.Enum("at-most-once"))); r != "other" {
		t.Errorf("publish to a wildcard = %s, want other", r)
	}
	in.call("mqtt-drop", conn)

	denied := fmt.Sprintf("mqtt://localhost:%d?client_id=x", srv.Port)
	r := in.call("mqtt-open", s(denied), s("u"), s("p"), capi.U64(0)).(capi.Result)
	if want := capi.Err(capi.Variant{Case: "connection-failed", Val: s("address " + denied + " is not permitted")}); !reflect.DeepEqual(r, want) {
		t.Errorf("open(denied) = %#v, want %#v", r, want)
	}
	if got := errCase(in.call("mqtt-open", s(srv.MQTTURL()), s("u"), s("p"), capi.U64(0))); got != "invalid-address" {
		t.Errorf("open without client_id = %s, want invalid-address", got)
	}
	wrong := in.call("mqtt-open", s(addr), s("u"), s("wrong"), capi.U64(0)).(capi.Result)
	if !wrong.Ok {
		t.Fatalf("open = %#v", wrong)
	}
	failed := in.call("mqtt-publish", wrong.Val, s("spin/x"), capi.Bytes("x"), capi.Enum("at-least-once")).(capi.Result)
	if v, ok := failed.Val.(capi.Variant); failed.Ok || !ok || v.Case != "connection-failed" || !strings.Contains(string(v.Val.(capi.String)), "not Authorized") {
		t.Errorf("publish with a wrong password = %#v, want connection-failed not Authorized", failed)
	}
	var conns []capi.Val
	for len(conns) < mqtt.MaxConnections-1 { // wrong holds one
		r := in.call("mqtt-open", s(addr), s("u"), s("p"), capi.U64(0)).(capi.Result)
		if !r.Ok {
			t.Fatalf("open %d: %#v", len(conns), r)
		}
		conns = append(conns, r.Val)
	}
	if got := errCase(in.call("mqtt-open", s(addr), s("u"), s("p"), capi.U64(0))); got != "too-many-connections" {
		t.Errorf("open beyond the limit = %s", got)
	}
	if len(slices.Compact(conns)) != len(conns) {
		t.Error("handles reused while open")
	}
}
