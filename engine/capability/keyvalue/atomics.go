package keyvalue

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Atomic is what a Store offers for wasi:keyvalue/atomics: both backends
// (SQLite and Redis) implement it.
type Atomic interface {
	// Increment adds delta to the key's value, a decimal integer (a missing
	// key counts as 0), and returns the new value.
	Increment(ctx context.Context, key string, delta int64) (int64, error)
	// CompareAndSwap sets key to value if its value is still old (found
	// false: if it is still missing); swapped reports whether it did.
	CompareAndSwap(ctx context.Context, key string, old []byte, found bool, value []byte) (swapped bool, err error)
}

var (
	_ Atomic = (*SQLiteStore)(nil)
	_ Atomic = (*RedisStore)(nil)
)

// Increment runs in a transaction, so concurrent increments add up.
func (s *SQLiteStore) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Conn) error {
		var v []byte
		err := tx.QueryRowContext(ctx, `SELECT value FROM spin_key_value WHERE store = ? AND key = ?`, s.store, key).Scan(&v)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil {
			if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				return fmt.Errorf("the value of %q is not an integer", key)
			}
		}
		n += delta
		_, err = tx.ExecContext(ctx, `INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?)
			ON CONFLICT(store, key) DO UPDATE SET value = excluded.value`, s.store, key, []byte(strconv.FormatInt(n, 10)))
		return err
	})
	return n, err
}

// CompareAndSwap runs in a transaction.
func (s *SQLiteStore) CompareAndSwap(ctx context.Context, key string, old []byte, found bool, value []byte) (bool, error) {
	swapped := false
	err := s.tx(ctx, func(tx *sql.Conn) error {
		var cur []byte
		err := tx.QueryRowContext(ctx, `SELECT value FROM spin_key_value WHERE store = ? AND key = ?`, s.store, key).Scan(&cur)
		curFound := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if curFound != found || (found && !bytes.Equal(cur, old)) {
			return nil
		}
		if value == nil {
			value = []byte{}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?)
			ON CONFLICT(store, key) DO UPDATE SET value = excluded.value`, s.store, key, value)
		swapped = err == nil
		return err
	})
	return swapped, err
}

// tx runs fn in an immediate transaction (the write lock taken first, so
// two read-then-write transactions cannot deadlock).
func (s *SQLiteStore) tx(ctx context.Context, fn func(*sql.Conn) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if err := fn(conn); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// Increment is INCRBY.
func (s *RedisStore) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	return s.client.IncrBy(ctx, key, delta).Result()
}

// CompareAndSwap is a WATCH/MULTI transaction: it fails (not swapped)
// when the key changes between the check and the write.
func (s *RedisStore) CompareAndSwap(ctx context.Context, key string, old []byte, found bool, value []byte) (bool, error) {
	swapped := false
	err := s.client.Watch(ctx, func(tx *redis.Tx) error {
		cur, err := tx.Get(ctx, key).Bytes()
		curFound := err == nil
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if curFound != found || (found && !bytes.Equal(cur, old)) {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, value, 0)
			return nil
		})
		swapped = err == nil
		return err
	}, key)
	if errors.Is(err, redis.TxFailedErr) {
		return false, nil
	}
	return swapped, err
}
