package wasip2

import (
	"errors"
	"math"

	"github.com/spinoci/spinoci/engine/capability/redis"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Redis is the component's outbound Redis capability (*redis.Access).
type Redis interface {
	Connections() *redis.Connections
}

// tableCloser is a table entry the guest has no handle to: it closes what
// the Store opened on the guest's behalf when the Store's table is
// released.
type tableCloser func()

func (c tableCloser) close() { c() }

// redisConnections returns the Store's Redis connections, made on first
// use and closed with the Store.
func (st *State) redisConnections() *redis.Connections {
	if st.redis == nil {
		var access *redis.Access // denies every address
		if st.host.cfg.Redis != nil {
			st.redis = st.host.cfg.Redis.Connections()
		} else {
			st.redis = access.Connections()
		}
		conns := st.redis
		st.table.push(tableCloser(func() { _ = conns.Close() }))
	}
	return st.redis
}

// redisConnection is an open fermyon:spin/redis@2.0.0 connection.
type redisConnection struct{ conn *redis.Conn }

func (c *redisConnection) close() { _ = c.conn.Close() }

// redisError is the error variant of a capability error.
func redisError(err error) capi.Val {
	switch {
	case errors.Is(err, redis.ErrInvalidAddress):
		return capi.Err(capi.Variant{Case: "invalid-address"})
	case errors.Is(err, redis.ErrTooManyConnections):
		return capi.Err(capi.Variant{Case: "too-many-connections"})
	case errors.Is(err, redis.ErrTypeError):
		return capi.Err(capi.Variant{Case: "type-error"})
	}
	return capi.Err(capi.Variant{Case: "other", Val: capi.String(err.Error())})
}

// argRedisParam reads a redis-parameter.
func argRedisParam(_ *State, v capi.Val) (redis.Param, error) {
	c, ok := v.(capi.Variant)
	if !ok {
		return redis.Param{}, mismatch("redis-parameter", v)
	}
	switch c.Case {
	case "int64":
		if n, ok := c.Val.(capi.S64); ok {
			return redis.Param{Kind: redis.ParamInt64, Int64: int64(n)}, nil
		}
	case "binary":
		b, err := argBytes(nil, c.Val)
		return redis.Param{Kind: redis.ParamBinary, Binary: b}, err
	}
	return redis.Param{}, mismatch("redis-parameter", v)
}

// redisResults is a list<redis-result>.
func redisResults(rs []redis.Result) capi.List {
	out := make(capi.List, len(rs))
	for n, r := range rs {
		switch r.Kind {
		case redis.ResultNil:
			out[n] = capi.Variant{Case: "nil"}
		case redis.ResultStatus:
			out[n] = capi.Variant{Case: "status", Val: capi.String(r.Status)}
		case redis.ResultInt64:
			out[n] = capi.Variant{Case: "int64", Val: capi.S64(r.Int64)}
		case redis.ResultBinary:
			out[n] = capi.Variant{Case: "binary", Val: capi.Bytes(r.Binary)}
		}
	}
	return out
}

// stringList is a list<string>.
func stringList(ss []string) capi.List {
	out := make(capi.List, len(ss))
	for n, s := range ss {
		out[n] = capi.String(s)
	}
	return out
}

// u32Count is a count as the @2.0.0 interface returns it.
func u32Count(n int64) capi.Val { return capi.U32(min(n, math.MaxUint32)) }

// spinRedis is fermyon:spin/redis@2.0.0: connections are resources of the
// guest, closed when it drops them or when the Store ends.
func spinRedis() *iface {
	i := newIface("fermyon:spin/redis" + spinVersion)
	i.types["connection"] = tyRedisConnection
	i.funcs["[static]connection.open"] = fn1(argString, func(st *State, address string) (results, error) {
		conn, err := st.redisConnections().Open(st.ctx, address)
		if err != nil {
			return one(redisError(err))
		}
		return one(capi.Ok(st.own(tyRedisConnection, &redisConnection{conn: conn})))
	})
	self := borrowed[*redisConnection]
	// reply answers ok(v()) or err's variant.
	reply := func(err error, v func() capi.Val) (results, error) {
		if err != nil {
			return one(redisError(err))
		}
		return one(capi.Ok(v()))
	}
	unit := func() capi.Val { return nil }
	i.funcs["[method]connection.publish"] = fn3(self, argString, argBytes, func(st *State, c *redisConnection, channel string, payload []byte) (results, error) {
		return reply(c.conn.Publish(st.ctx, channel, payload), unit)
	})
	i.funcs["[method]connection.get"] = fn2(self, argString, func(st *State, c *redisConnection, key string) (results, error) {
		v, found, err := c.conn.Get(st.ctx, key)
		return reply(err, func() capi.Val {
			if !found {
				return capi.None
			}
			return capi.Some(capi.Bytes(v))
		})
	})
	i.funcs["[method]connection.set"] = fn3(self, argString, argBytes, func(st *State, c *redisConnection, key string, value []byte) (results, error) {
		return reply(c.conn.Set(st.ctx, key, value), unit)
	})
	i.funcs["[method]connection.incr"] = fn2(self, argString, func(st *State, c *redisConnection, key string) (results, error) {
		n, err := c.conn.Incr(st.ctx, key)
		return reply(err, func() capi.Val { return capi.S64(n) })
	})
	i.funcs["[method]connection.del"] = fn2(self, argList(argString), func(st *State, c *redisConnection, keys []string) (results, error) {
		n, err := c.conn.Del(st.ctx, keys)
		return reply(err, func() capi.Val { return u32Count(n) })
	})
	i.funcs["[method]connection.sadd"] = fn3(self, argString, argList(argString), func(st *State, c *redisConnection, key string, values []string) (results, error) {
		n, err := c.conn.SAdd(st.ctx, key, values)
		return reply(err, func() capi.Val { return u32Count(n) })
	})
	i.funcs["[method]connection.smembers"] = fn2(self, argString, func(st *State, c *redisConnection, key string) (results, error) {
		m, err := c.conn.SMembers(st.ctx, key)
		return reply(err, func() capi.Val { return stringList(m) })
	})
	i.funcs["[method]connection.srem"] = fn3(self, argString, argList(argString), func(st *State, c *redisConnection, key string, values []string) (results, error) {
		n, err := c.conn.SRem(st.ctx, key, values)
		return reply(err, func() capi.Val { return u32Count(n) })
	})
	i.funcs["[method]connection.execute"] = fn3(self, argString, argList(argRedisParam), func(st *State, c *redisConnection, command string, args []redis.Param) (results, error) {
		rs, err := c.conn.Execute(st.ctx, command, args)
		return reply(err, func() capi.Val { return redisResults(rs) })
	})
	return i
}

// spin1Redis is the unversioned fermyon:spin/redis of componentized Spin
// 1.x modules: every call names the address and runs on the Store's
// connection to it; any failure is enum error's "error" case, as in Spin.
func spin1Redis() *iface {
	i := newIface("fermyon:spin/redis")
	// on runs op on the connection to address.
	on := func(st *State, address string, op func(c *redis.Conn) (capi.Val, error)) (results, error) {
		c, err := st.redisConnections().ForAddress(st.ctx, address)
		var v capi.Val
		if err == nil {
			v, err = op(c)
		}
		if err != nil {
			return one(capi.Err(capi.Enum("error")))
		}
		return one(capi.Ok(v))
	}
	count := func(n int64, err error) (capi.Val, error) { return capi.S64(n), err }
	i.funcs["publish"] = fn3(argString, argString, argBytes, func(st *State, address, channel string, payload []byte) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) { return nil, c.Publish(st.ctx, channel, payload) })
	})
	i.funcs["get"] = fn2(argString, argString, func(st *State, address, key string) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) {
			v, _, err := c.Get(st.ctx, key) // no value: an empty payload
			return capi.Bytes(v), err
		})
	})
	i.funcs["set"] = fn3(argString, argString, argBytes, func(st *State, address, key string, value []byte) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) { return nil, c.Set(st.ctx, key, value) })
	})
	i.funcs["incr"] = fn2(argString, argString, func(st *State, address, key string) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) { return count(c.Incr(st.ctx, key)) })
	})
	i.funcs["del"] = fn2(argString, argList(argString), func(st *State, address string, keys []string) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) { return count(c.Del(st.ctx, keys)) })
	})
	i.funcs["sadd"] = fn3(argString, argString, argList(argString), func(st *State, address, key string, values []string) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) { return count(c.SAdd(st.ctx, key, values)) })
	})
	i.funcs["smembers"] = fn2(argString, argString, func(st *State, address, key string) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) {
			m, err := c.SMembers(st.ctx, key)
			return stringList(m), err
		})
	})
	i.funcs["srem"] = fn3(argString, argString, argList(argString), func(st *State, address, key string, values []string) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) { return count(c.SRem(st.ctx, key, values)) })
	})
	i.funcs["execute"] = fn3(argString, argString, argList(argRedisParam), func(st *State, address, command string, args []redis.Param) (results, error) {
		return on(st, address, func(c *redis.Conn) (capi.Val, error) {
			rs, err := c.Execute(st.ctx, command, args)
			return redisResults(rs), err
		})
	})
	return i
}
