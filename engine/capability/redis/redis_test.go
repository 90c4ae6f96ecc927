package redis

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/network"
	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/test/servers"
)

func TestOperations(t *testing.T) {
	ctx := context.Background()
	srv := servers.Redis(t)
	cs := NewAccess(networktest.AllowList(t, fmt.Sprintf("redis://127.0.0.1:%d", srv.Port))).Connections()
	defer cs.Close()
	c, err := cs.Open(ctx, srv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := c.Get(ctx, "k"); err != nil || found {
		t.Errorf("Get(missing) = found %v, %v", found, err)
	}
	if err := c.Set(ctx, "k", []byte{0, 'v', 255}); err != nil {
		t.Fatal(err)
	}
	if v, found, err := c.Get(ctx, "k"); err != nil || !found || !reflect.DeepEqual(v, []byte{0, 'v', 255}) {
		t.Errorf("Get(k) = %q %v %v", v, found, err)
	}
	for want := int64(1); want <= 2; want++ {
		if n, err := c.Incr(ctx, "n"); err != nil || n != want {
			t.Errorf("Incr = %d %v, want %d", n, err, want)
		}
	}
	if _, err := c.Incr(ctx, "k"); err == nil || errors.Is(err, ErrTypeError) {
		t.Errorf("Incr(binary) = %v, want other", err)
	}
	if n, err := c.SAdd(ctx, "s", []string{"a", "b", "a"}); err != nil || n != 2 {
		t.Errorf("SAdd = %d %v", n, err)
	}
	if m, err := c.SMembers(ctx, "s"); err != nil || !reflect.DeepEqual(slices.Sorted(slices.Values(m)), []string{"a", "b"}) {
		t.Errorf("SMembers = %q %v", m, err)
	}
	if n, err := c.SRem(ctx, "s", []string{"a", "z"}); err != nil || n != 1 {
		t.Errorf("SRem = %d %v", n, err)
	}
	if _, err := c.SAdd(ctx, "k", []string{"x"}); !errors.Is(err, ErrTypeError) || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Errorf("SAdd(string key) = %v, want ErrTypeError", err)
	}
	if _, err := c.SMembers(ctx, "k"); !errors.Is(err, ErrTypeError) {
		t.Errorf("SMembers(string key) = %v, want ErrTypeError", err)
	}
	if n, err := c.Del(ctx, []string{"k", "n", "none"}); err != nil || n != 2 {
		t.Errorf("Del = %d %v", n, err)
	}
	if err := c.Publish(ctx, "ch", []byte("hi")); err != nil {
		t.Errorf("Publish: %v", err)
	}
}

func TestExecute(t *testing.T) {
	ctx := context.Background()
	srv := servers.Redis(t)
	cs := NewAccess(networktest.AllowList(t, "redis://127.0.0.1:*")).Connections()
	defer cs.Close()
	c, err := cs.Open(ctx, srv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	bin := func(s string) Param { return Param{Kind: ParamBinary, Binary: []byte(s)} }
	for _, tc := range []struct {
		cmd  string
		args []Param
		want []Result
	}{
		{"SET", []Param{bin("k"), {Kind: ParamInt64, Int64: -5}}, []Result{{Kind: ResultStatus, Status: "OK"}}},
		{"GET", []Param{bin("k")}, []Result{{Kind: ResultBinary, Binary: []byte("-5")}}},
		{"INCRBY", []Param{bin("k"), {Kind: ParamInt64, Int64: 10}}, []Result{{Kind: ResultInt64, Int64: 5}}},
		{"GET", []Param{bin("none")}, []Result{{Kind: ResultNil}}},
		{"RPUSH", []Param{bin("l"), bin("a"), bin("")}, []Result{{Kind: ResultInt64, Int64: 2}}},
		{"LRANGE", []Param{bin("l"), {Kind: ParamInt64}, {Kind: ParamInt64, Int64: -1}},
			[]Result{{Kind: ResultBinary, Binary: []byte("a")}, {Kind: ResultBinary, Binary: []byte{}}}},
		{"LRANGE", []Param{bin("none"), {Kind: ParamInt64}, {Kind: ParamInt64, Int64: -1}}, []Result{}},
		{"MGET", []Param{bin("k"), bin("none")}, []Result{{Kind: ResultBinary, Binary: []byte("5")}, {Kind: ResultNil}}},
	} {
		got, err := c.Execute(ctx, tc.cmd, tc.args)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %v = %+v %v, want %+v", tc.cmd, tc.args, got, err, tc.want)
		}
	}
	if _, err := c.Execute(ctx, "NOSUCHCOMMAND", nil); err == nil || errors.Is(err, ErrTypeError) || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
	if _, err := c.Execute(ctx, "LPUSH", []Param{bin("k"), bin("x")}); !errors.Is(err, ErrTypeError) {
		t.Errorf("LPUSH on a string: %v, want ErrTypeError", err)
	}
	// State set with execute stays on the connection.
	if _, err := c.Execute(ctx, "SELECT", []Param{{Kind: ParamInt64, Int64: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := c.Get(ctx, "k"); found {
		t.Error("SELECT 3 did not stick to the connection")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	srv := servers.Redis(t)
	cs := NewAccess(networktest.AllowList(t, fmt.Sprintf("redis://127.0.0.1:%d", srv.Port), "redis://localhost:1")).Connections()
	defer cs.Close()
	for _, addr := range []string{
		"127.0.0.1:6379", "http://127.0.0.1/", "redis://", "redis://127.0.0.1:99999", "redis://%zz",
		"redis://127.0.0.1:6380", "redis://other.example:" + fmt.Sprint(srv.Port), "rediss://127.0.0.1:" + fmt.Sprint(srv.Port),
	} {
		if _, err := cs.Open(ctx, addr); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("Open(%q) = %v, want ErrInvalidAddress", addr, err)
		}
	}
	if _, err := cs.Open(ctx, "redis://localhost:1"); err == nil || errors.Is(err, ErrInvalidAddress) {
		t.Errorf("Open(nothing listening) = %v, want other", err)
	}
	var denyAll *Access
	if _, err := denyAll.Connections().Open(ctx, srv.RedisURL()); !errors.Is(err, ErrInvalidAddress) {
		t.Errorf("nil Access: %v", err)
	}
	v1, err := network.ParseAllowedHTTPHosts(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := NewAccess(v1).Connections().Open(ctx, srv.RedisURL()); err != nil {
		t.Errorf("a Spin 1.x component reaches any Redis server: %v", err)
	} else {
		c.Close()
	}
}

func TestConnectionLimitAndReuse(t *testing.T) {
	ctx := context.Background()
	srv := servers.Redis(t)
	cs := NewAccess(networktest.AllowList(t, "redis://127.0.0.1:*")).Connections()
	var conns []*Conn
	for range MaxConnections {
		c, err := cs.Open(ctx, srv.RedisURL())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	if _, err := cs.Open(ctx, srv.RedisURL()); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("connection %d: %v, want ErrTooManyConnections", MaxConnections+1, err)
	}
	conns[0].Close()
	conns[0].Close()
	a, err := cs.ForAddress(ctx, srv.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	if b, err := cs.ForAddress(ctx, srv.RedisURL()); err != nil || b != a {
		t.Errorf("ForAddress twice: %p %p %v, want the same connection", a, b, err)
	}
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	if len(cs.open) != 0 {
		t.Errorf("%d connections open after Close", len(cs.open))
	}
	if err := a.Set(ctx, "k", nil); err == nil {
		t.Error("a closed connection still works")
	}
}

func TestParseReply(t *testing.T) {
	var out []Result
	if _, err := parseReply([]byte("*2\r\n*1\r\n:1\r\n$-1\r\n"), &out); err != nil || !reflect.DeepEqual(out, []Result{{Kind: ResultInt64, Int64: 1}, {Kind: ResultNil}}) {
		t.Errorf("nested = %+v %v", out, err)
	}
	for _, bad := range []string{"", "$5\r\nab\r\n", ":x\r\n", "*2\r\n:1\r\n", "%1\r\n", "*1\r\n-ERR inner\r\n"} {
		if _, err := parseReply([]byte(bad), new([]Result)); err == nil {
			t.Errorf("parseReply(%q) did not fail", bad)
		}
	}
}
