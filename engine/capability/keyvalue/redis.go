package keyvalue

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a key-value store in a Redis database: keys are Redis
// keys, values Redis strings, as in Spin's Redis key-value provider.
type RedisStore struct {
	client *redis.Client
}

// OpenRedis connects to the Redis server at url (redis:// or rediss://).
func OpenRedis(ctx context.Context, url string) (*RedisStore, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis key-value store: url: %w", err)
	}
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis key-value store %s: %w", opts.Addr, err)
	}
	return &RedisStore{client: c}, nil
}

var _ Store = (*RedisStore)(nil)

// Close closes the connection pool.
func (s *RedisStore) Close() error { return s.client.Close() }

func (s *RedisStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := s.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func (s *RedisStore) Set(ctx context.Context, key string, value []byte) error {
	return s.client.Set(ctx, key, value, 0).Err()
}

func (s *RedisStore) Delete(ctx context.Context, key string) error {
	return s.client.Del(ctx, key).Err()
}

func (s *RedisStore) Exists(ctx context.Context, key string) (bool, error) {
	n, err := s.client.Exists(ctx, key).Result()
	return n > 0, err
}

// Keys lists every key of the database (SCAN, not KEYS, so the server is
// not blocked), sorted.
func (s *RedisStore) Keys(ctx context.Context) ([]string, error) {
	var keys []string
	iter := s.client.Scan(ctx, 0, "*", 0).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, err
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}
