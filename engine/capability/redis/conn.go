package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// ParamKind is the type of a Param, in the order of the WIT variant's cases.
type ParamKind uint8

// The redis-parameter cases.
const (
	ParamInt64 ParamKind = iota
	ParamBinary
)

// Param is an argument of Execute.
type Param struct {
	Kind   ParamKind
	Int64  int64
	Binary []byte
}

// ResultKind is the type of a Result, in the order of the WIT variant's
// cases.
type ResultKind uint8

// The redis-result cases.
const (
	ResultNil ResultKind = iota
	ResultStatus
	ResultInt64
	ResultBinary
)

// Result is one value of Execute's reply.
type Result struct {
	Kind   ResultKind
	Status string
	Int64  int64
	Binary []byte
}

// classify marks a WRONGTYPE reply (an operation on a key holding another
// kind of value) as ErrTypeError; other errors stay Spin's other.
func classify(op string, err error) error {
	var re goredis.Error
	if errors.As(err, &re) && strings.HasPrefix(err.Error(), "WRONGTYPE") {
		return fmt.Errorf("%s: %w: %v", op, ErrTypeError, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Publish publishes payload on channel.
func (c *Conn) Publish(ctx context.Context, channel string, payload []byte) error {
	if err := c.client.Publish(ctx, channel, payload).Err(); err != nil {
		return classify("publish", err)
	}
	return nil
}

// Get returns the value of key; found is false when it has none.
func (c *Conn) Get(ctx context.Context, key string) (value []byte, found bool, err error) {
	v, err := c.client.Get(ctx, key).Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, classify("get", err)
	case len(v) > MaxReplyBytes:
		return nil, false, fmt.Errorf("get: the value exceeds the limit of %d bytes", MaxReplyBytes)
	}
	return v, true, nil
}

// Set sets key to value.
func (c *Conn) Set(ctx context.Context, key string, value []byte) error {
	if err := c.client.Set(ctx, key, value, 0).Err(); err != nil {
		return classify("set", err)
	}
	return nil
}

// Incr increments the integer value of key by one and returns it.
func (c *Conn) Incr(ctx context.Context, key string) (int64, error) {
	n, err := c.client.Incr(ctx, key).Result()
	if err != nil {
		return 0, classify("incr", err)
	}
	return n, nil
}

// Del deletes keys and returns how many existed.
func (c *Conn) Del(ctx context.Context, keys []string) (int64, error) {
	n, err := c.client.Del(ctx, keys...).Result()
	if err != nil {
		return 0, classify("del", err)
	}
	return n, nil
}

// SAdd adds values to the set at key and returns how many were new.
func (c *Conn) SAdd(ctx context.Context, key string, values []string) (int64, error) {
	n, err := c.client.SAdd(ctx, key, toAny(values)...).Result()
	if err != nil {
		return 0, classify("sadd", err)
	}
	return n, nil
}

// SMembers returns the members of the set at key.
func (c *Conn) SMembers(ctx context.Context, key string) ([]string, error) {
	m, err := c.client.SMembers(ctx, key).Result()
	if err != nil {
		return nil, classify("smembers", err)
	}
	return m, nil
}

// SRem removes values from the set at key and returns how many were
// members.
func (c *Conn) SRem(ctx context.Context, key string, values []string) (int64, error) {
	n, err := c.client.SRem(ctx, key, toAny(values)...).Result()
	if err != nil {
		return 0, classify("srem", err)
	}
	return n, nil
}

// Execute sends command with args and returns its reply as Spin does: an
// array's elements (nested arrays flattened) or the single value, where
// simple strings are status, bulk strings binary, integers int64 and null
// replies nil. An error reply, also inside an array, is an error.
func (c *Conn) Execute(ctx context.Context, command string, args []Param) ([]Result, error) {
	cmd := make([]any, 0, 1+len(args))
	cmd = append(cmd, command)
	for _, a := range args {
		if a.Kind == ParamInt64 {
			cmd = append(cmd, a.Int64)
			continue
		}
		b := a.Binary
		if b == nil {
			b = []byte{}
		}
		cmd = append(cmd, b)
	}
	raw, err := c.client.DoRaw(ctx, cmd...).Result()
	if err != nil {
		return nil, classify("execute "+command, err)
	}
	if len(raw) > MaxReplyBytes {
		return nil, fmt.Errorf("execute %s: the reply exceeds the limit of %d bytes", command, MaxReplyBytes)
	}
	out := []Result{}
	if _, err := parseReply(raw, &out); err != nil {
		return nil, classify("execute "+command, err)
	}
	return out, nil
}

func toAny(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}
