package coremodule

import (
	"encoding/binary"
	"fmt"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/engine/capability/redis"
)

// Spin 1.x's outbound-redis returns expected<T, error> with enum error
// { success, error }: on failure the tag is 1 and the payload is error (1)
// at T's offset. Spin 1.x says no more; the reason is logged.
const redisError = 1

// Return areas of outbound-redis: size and the payload's offset.
const (
	redisUnit = iota // expected<unit, error>: size 2, payload at 1
	redisList        // payload, list<string>, list<redis-result>: size 12, at 4
	redisS64         // s64: size 16, at 8
)

var redisAreas = [...]struct{ size, off int }{redisUnit: {2, 1}, redisList: {12, 4}, redisS64: {16, 8}}

// redisElemSize is the size of a redis-parameter or redis-result in
// memory: tag at 0, the 8-aligned payload at 8.
const redisElemSize = 16

// redisImport returns the implementation of outbound-redis.<name>. Every
// function's first two arguments are the address: the call runs on the
// instance's connection to it (opened on first use, closed with the
// instance).
func redisImport(name string) hostFunc {
	// op runs the call; key is its third and fourth arguments (key,
	// channel or command) as a string, except for del.
	type op func(c *hostCall, conn *redis.Conn, key string, a []int32) (fill func(area retArea) error, err error)
	var (
		run  op
		kind int
		ret  int // index of the return pointer
	)
	switch name {
	case "publish", "set":
		kind, ret = redisUnit, 6
		run = func(c *hostCall, conn *redis.Conn, key string, a []int32) (func(retArea) error, error) {
			value, err := c.readBytes(a[4], a[5])
			if err != nil {
				return nil, err
			}
			if name == "publish" {
				return nil, conn.Publish(c.state.ctx, key, value)
			}
			return nil, conn.Set(c.state.ctx, key, value)
		}
	case "get":
		kind, ret = redisList, 4
		run = func(c *hostCall, conn *redis.Conn, key string, a []int32) (func(retArea) error, error) {
			// A key without a value reads as an empty payload, as in Spin.
			value, _, err := conn.Get(c.state.ctx, key)
			return func(area retArea) error { return c.putList(area, value, 1, len(value)) }, err
		}
	case "incr":
		kind, ret = redisS64, 4
		run = func(c *hostCall, conn *redis.Conn, key string, a []int32) (func(retArea) error, error) {
			n, err := conn.Incr(c.state.ctx, key)
			return s64Fill(n), err
		}
	case "del":
		kind, ret = redisS64, 4
		run = func(c *hostCall, conn *redis.Conn, key string, a []int32) (func(retArea) error, error) {
			keys, err := c.readStrings(a[2], a[3])
			if err != nil {
				return nil, err
			}
			n, err := conn.Del(c.state.ctx, keys)
			return s64Fill(n), err
		}
	case "sadd", "srem":
		kind, ret = redisS64, 6
		run = func(c *hostCall, conn *redis.Conn, key string, a []int32) (func(retArea) error, error) {
			values, err := c.readStrings(a[4], a[5])
			if err != nil {
				return nil, err
			}
			var n int64
			if name == "sadd" {
				n, err = conn.SAdd(c.state.ctx, key, values)
			} else {
				n, err = conn.SRem(c.state.ctx, key, values)
			}
			return s64Fill(n), err
		}
	case "smembers":
		kind, ret = redisList, 4
		run = func(c *hostCall, conn *redis.Conn, key string, a []int32) (func(retArea) error, error) {
			members, err := conn.SMembers(c.state.ctx, key)
			return func(area retArea) error { return c.putStrings(area, members) }, err
		}
	case "execute":
		kind, ret = redisList, 6
		run = redisExecute
	default:
		return nil
	}
	return func(c *hostCall, a []int32) error {
		address, err := c.readString(a[0], a[1])
		if err != nil {
			return err
		}
		var key string
		if name != "del" {
			if key, err = c.readString(a[2], a[3]); err != nil {
				return err
			}
		}
		var fill func(retArea) error
		conn, err := c.state.redisConnections().ForAddress(c.state.ctx, address)
		if err == nil {
			fill, err = run(c, conn, key, a)
		}
		layout := redisAreas[kind]
		area := make(retArea, layout.size)
		if err != nil {
			log.G(c.state.ctx).WithError(err).WithField("component", c.state.comp.ID).Warnf("outbound-redis.%s failed", name)
			area.u8(0, 1)
			area.u8(layout.off, redisError)
		} else if fill != nil {
			if err := fill(area); err != nil {
				return err
			}
		}
		return c.writeRet(a[ret], area)
	}
}

func s64Fill(n int64) func(retArea) error {
	return func(area retArea) error {
		binary.LittleEndian.PutUint64(area[8:], uint64(n))
		return nil
	}
}

// redisExecute: execute(address, command, arguments: list<redis-parameter>)
// → list<redis-result>.
func redisExecute(c *hostCall, conn *redis.Conn, command string, a []int32) (func(retArea) error, error) {
	raw, err := c.readBytes(a[4], a[5]*redisElemSize)
	if err != nil {
		return nil, err
	}
	params := make([]redis.Param, a[5])
	for i := range params {
		e := raw[i*redisElemSize:]
		switch redis.ParamKind(e[0]) {
		case redis.ParamInt64:
			params[i] = redis.Param{Kind: redis.ParamInt64, Int64: int64(binary.LittleEndian.Uint64(e[8:]))}
		case redis.ParamBinary:
			b, err := c.readBytes(int32(binary.LittleEndian.Uint32(e[8:])), int32(binary.LittleEndian.Uint32(e[12:])))
			if err != nil {
				return nil, fmt.Errorf("argument %d: %w", i+1, err)
			}
			params[i] = redis.Param{Kind: redis.ParamBinary, Binary: b}
		default:
			return nil, fmt.Errorf("argument %d: invalid redis-parameter tag %d", i+1, e[0])
		}
	}
	results, err := conn.Execute(c.state.ctx, command, params)
	return func(area retArea) error {
		g, err := c.guest()
		if err != nil {
			return err
		}
		list := make(retArea, redisElemSize*len(results))
		for i, r := range results {
			e := list[i*redisElemSize:]
			e.u8(0, uint8(r.Kind))
			switch r.Kind {
			case redis.ResultInt64:
				binary.LittleEndian.PutUint64(e[8:], uint64(r.Int64))
			case redis.ResultStatus, redis.ResultBinary:
				b := r.Binary
				if r.Kind == redis.ResultStatus {
					b = []byte(r.Status)
				}
				ptr, err := g.put(b, 1)
				if err != nil {
					return err
				}
				e.u32(8, ptr)
				e.u32(12, uint32(len(b)))
			}
		}
		return c.putList(area, list, 8, len(results))
	}, err
}

// readStrings reads a list<string> argument (8-byte {ptr, len} elements).
func (c *hostCall) readStrings(ptr, n int32) ([]string, error) {
	raw, err := c.readBytes(ptr, n*8)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		if out[i], err = c.readString(int32(binary.LittleEndian.Uint32(raw[8*i:])), int32(binary.LittleEndian.Uint32(raw[8*i+4:]))); err != nil {
			return nil, fmt.Errorf("list element %d: %w", i, err)
		}
	}
	return out, nil
}

// redisConnections returns the instance's Redis connections, made on first
// use for the component's access.
func (s *instanceState) redisConnections() *redis.Connections {
	if s.redis == nil {
		s.redis = s.comp.Redis.Connections()
	}
	return s.redis
}

// closeRedis closes the instance's Redis connections.
func (s *instanceState) closeRedis() {
	if s.redis != nil {
		if err := s.redis.Close(); err != nil {
			log.G(s.ctx).WithError(err).Debug("closing outbound Redis connections")
		}
		s.redis = nil
	}
}
