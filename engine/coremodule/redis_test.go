package coremodule

import (
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/engine/capability/redis"
	"github.com/spinoci/spinoci/test/servers"
)

// redisWAT imports every function of Spin 1.x's outbound-redis and of the
// unversioned fermyon:spin/redis (Spin SDK 1.4/1.5) and exports each as
// "<module>.<name>": it passes its arguments on with the return area at 64
// and returns 64.
func redisWAT() string {
	var imports, exports strings.Builder
	for _, m := range []string{"outbound-redis", "fermyon:spin/redis"} {
		for _, f := range []struct {
			name string
			args int
		}{{"publish", 6}, {"set", 6}, {"get", 4}, {"incr", 4}, {"del", 4}, {"sadd", 6}, {"smembers", 4}, {"srem", 6}, {"execute", 6}} {
			id := strings.NewReplacer(":", "_", "/", "_").Replace(m) + "_" + f.name
			fmt.Fprintf(&imports, "  (import %q %q (func $%s (param%s)))\n", m, f.name, id, strings.Repeat(" i32", f.args+1))
			var get strings.Builder
			for i := range f.args {
				fmt.Fprintf(&get, " (local.get %d)", i)
			}
			fmt.Fprintf(&exports, "  (func (export \"%s.%s\") (param%s) (result i32) (call $%s%s (i32.const 64)) (i32.const 64))\n",
				m, f.name, strings.Repeat(" i32", f.args), id, get.String())
		}
	}
	return `(module
` + imports.String() + bumpAllocatorWAT + "\n" + exports.String() + `)`
}

// strs encodes a list<string> argument.
func (p *platformInstance) strs(ss ...string) (int32, int32) {
	buf := make([]byte, 8*len(ss))
	for i, s := range ss {
		p.putRef(buf[8*i:], []byte(s))
	}
	ptr, _ := p.put(buf)
	return ptr, int32(len(ss))
}

func TestSpin1OutboundRedis(t *testing.T) {
	srv := servers.Redis(t)
	allowed := networktest.AllowList(t, fmt.Sprintf("redis://127.0.0.1:%d", srv.Port))
	p := newWATInstance(t, &Component{ID: "c", Redis: redis.NewAccess(allowed)}, redisWAT())
	addr := srv.RedisURL()
	// call calls module.name with the address first.
	call := func(module, name, address string, args ...any) []byte {
		t.Helper()
		ap, an := p.put([]byte(address))
		return p.call(module+"."+name, append([]any{ap, an}, args...)...)
	}
	str := func(s string) []any {
		ptr, n := p.put([]byte(s))
		return []any{ptr, n}
	}
	list := func(ss ...string) []any {
		ptr, n := p.strs(ss...)
		return []any{ptr, n}
	}
	args := func(parts ...[]any) []any { return slices.Concat(parts...) }
	s64 := func(r []byte) int64 { return int64(binary.LittleEndian.Uint64(r[8:])) }
	bytesAt := func(r []byte) string { return p.str(p.u32(r, 4), p.u32(r, 8)) }

	for _, m := range []string{"outbound-redis", "fermyon:spin/redis"} {
		if r := call(m, "set", addr, args(str("k"), str("v\x00"))...); r[0] != 0 {
			t.Fatalf("%s set = %v", m, r[:2])
		}
		if r := call(m, "get", addr, str("k")...); r[0] != 0 || bytesAt(r) != "v\x00" {
			t.Errorf("%s get = %v %q", m, r[:12], bytesAt(r))
		}
		if r := call(m, "get", addr, str("missing")...); r[0] != 0 || p.u32(r, 8) != 0 {
			t.Errorf("%s get(missing) = %v, want an empty payload", m, r[:12])
		}
		if r := call(m, "incr", addr, str("n")...); r[0] != 0 || s64(r) != 1 {
			t.Errorf("%s incr = %v", m, r[:16])
		}
		if r := call(m, "sadd", addr, args(str("s"), list("a", "b"))...); r[0] != 0 || s64(r) != 2 {
			t.Errorf("%s sadd = %v", m, r[:16])
		}
		r := call(m, "smembers", addr, str("s")...)
		var members []string
		for i := range p.u32(r, 8) {
			e := p.mem()[p.u32(r, 4)+8*i:]
			members = append(members, p.str(p.u32(e, 0), p.u32(e, 4)))
		}
		if slices.Sort(members); r[0] != 0 || !reflect.DeepEqual(members, []string{"a", "b"}) {
			t.Errorf("%s smembers = %v %q", m, r[:12], members)
		}
		if r := call(m, "srem", addr, args(str("s"), list("a", "z"))...); r[0] != 0 || s64(r) != 1 {
			t.Errorf("%s srem = %v", m, r[:16])
		}
		if r := call(m, "publish", addr, args(str("ch"), str("hi"))...); r[0] != 0 {
			t.Errorf("%s publish = %v", m, r[:2])
		}
		// Spin 1.x's error: tag 1, error (1) at the payload's offset.
		if r := call(m, "sadd", addr, args(str("k"), list("x"))...); r[0] != 1 || r[8] != redisError {
			t.Errorf("%s sadd(string key) = %v, want error", m, r[:16])
		}
		for _, denied := range []string{"redis://127.0.0.1:1", "not a url"} {
			if r := call(m, "set", denied, args(str("k"), str("v"))...); r[0] != 1 || r[1] != redisError {
				t.Errorf("%s set(%s) = %v, want error", m, denied, r[:2])
			}
			if r := call(m, "get", denied, str("k")...); r[0] != 1 || r[4] != redisError {
				t.Errorf("%s get(%s) = %v, want error", m, denied, r[:8])
			}
		}
		if r := call(m, "del", addr, list("k", "n", "s", "none")...); r[0] != 0 || s64(r) != 3 {
			t.Errorf("%s del = %v", m, r[:16])
		}
	}

	// execute(address, "SET"/"INCRBY"/"MGET", params) with both parameter kinds.
	params := func(ps ...redis.Param) []any {
		buf := make([]byte, 16*len(ps))
		for i, x := range ps {
			e := buf[16*i:]
			e[0] = byte(x.Kind)
			if x.Kind == redis.ParamInt64 {
				binary.LittleEndian.PutUint64(e[8:], uint64(x.Int64))
				continue
			}
			p.putRef(e[8:], x.Binary)
		}
		ptr, _ := p.put(buf)
		return []any{ptr, int32(len(ps))}
	}
	results := func(r []byte) []redis.Result {
		var out []redis.Result
		for i := range p.u32(r, 8) {
			e := p.mem()[p.u32(r, 4)+16*i:]
			x := redis.Result{Kind: redis.ResultKind(e[0])}
			switch x.Kind {
			case redis.ResultInt64:
				x.Int64 = s64(e)
			case redis.ResultStatus:
				x.Status = p.str(p.u32(e, 8), p.u32(e, 12))
			case redis.ResultBinary:
				x.Binary = []byte(p.str(p.u32(e, 8), p.u32(e, 12)))
			}
			out = append(out, x)
		}
		return out
	}
	bin := func(s string) redis.Param { return redis.Param{Kind: redis.ParamBinary, Binary: []byte(s)} }
	for _, tc := range []struct {
		cmd    string
		params []redis.Param
		want   []redis.Result
	}{
		{"SET", []redis.Param{bin("e"), {Kind: redis.ParamInt64, Int64: 40}}, []redis.Result{{Kind: redis.ResultStatus, Status: "OK"}}},
		{"INCRBY", []redis.Param{bin("e"), {Kind: redis.ParamInt64, Int64: 2}}, []redis.Result{{Kind: redis.ResultInt64, Int64: 42}}},
		{"MGET", []redis.Param{bin("e"), bin("none")}, []redis.Result{{Kind: redis.ResultBinary, Binary: []byte("42")}, {Kind: redis.ResultNil}}},
	} {
		r := call("outbound-redis", "execute", addr, args(str(tc.cmd), params(tc.params...))...)
		if got := results(r); r[0] != 0 || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("execute %s = %v %+v, want %+v", tc.cmd, r[:12], got, tc.want)
		}
	}
	if r := call("outbound-redis", "execute", addr, args(str("NOSUCH"), params())...); r[0] != 1 || r[4] != redisError {
		t.Errorf("execute NOSUCH = %v, want error", r[:8])
	}
	// One connection per address for the instance (the test's client is
	// the other), closed with the instance.
	clients := func() int {
		t.Helper()
		c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
		defer c.Close()
		list, err := c.ClientList(context.Background()).Result()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(list, "\n")
	}
	if n := clients(); n != 2 {
		t.Errorf("%d clients connected, want the instance's one and the test's", n)
	}
	p.store.Close()
	if n := clients(); n != 1 {
		t.Errorf("%d clients connected after the instance ended, want the test's only", n)
	}
}
