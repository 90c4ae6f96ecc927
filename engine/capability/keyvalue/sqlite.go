package keyvalue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spinoci/spinoci/engine/capability/sqlite"
)

// SQLiteFileName is the SQLite file of the stores inside a state
// directory, the name Spin uses under its .spin directory.
const SQLiteFileName = "sqlite_key_value.db"

// kvSchema is Spin's spin-key-value-sqlite table, so that a file written by
// Spin and one written here are interchangeable.
const kvSchema = `CREATE TABLE IF NOT EXISTS spin_key_value (
	store TEXT NOT NULL,
	key   TEXT NOT NULL,
	value BLOB NOT NULL,
	PRIMARY KEY (store, key)
)`

// SQLiteStore is a key-value store in a SQLite database shared by every
// request of the App (one *sql.DB; see sqlite.OpenDB).
type SQLiteStore struct {
	db    *sql.DB
	store string // the store name (the "store" column)
}

// OpenSQLite opens (creating if needed) the store named store in the
// SQLite file of stateDir, or in memory when stateDir is empty.
func OpenSQLite(ctx context.Context, stateDir, store string) (*SQLiteStore, error) {
	if stateDir == "" {
		return openSQLiteFile(ctx, "", store)
	}
	return openSQLiteFile(ctx, filepath.Join(stateDir, SQLiteFileName), store)
}

// openSQLiteFile opens the store named store in the SQLite file (created
// with its directory if needed), or in memory when file is "".
func openSQLiteFile(ctx context.Context, file, store string) (*SQLiteStore, error) {
	db, err := sqlite.OpenDB(ctx, file)
	if err != nil {
		return nil, fmt.Errorf("key-value store: %w", err)
	}
	if _, err := db.ExecContext(ctx, kvSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("key-value store %s: %w", file, err)
	}
	return &SQLiteStore{db: db, store: store}, nil
}

var _ Store = (*SQLiteStore)(nil)

// Close closes the database.
func (s *SQLiteStore) Close() error { return s.db.Close() }

func (s *SQLiteStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT value FROM spin_key_value WHERE store = ? AND key = ?`, s.store, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

func (s *SQLiteStore) Set(ctx context.Context, key string, value []byte) error {
	if value == nil {
		value = []byte{} // NOT NULL
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?)
		 ON CONFLICT(store, key) DO UPDATE SET value = excluded.value`, s.store, key, value)
	return err
}

func (s *SQLiteStore) Delete(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM spin_key_value WHERE store = ? AND key = ?`, s.store, key)
	return err
}

func (s *SQLiteStore) Exists(ctx context.Context, key string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM spin_key_value WHERE store = ? AND key = ?`, s.store, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (s *SQLiteStore) Keys(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM spin_key_value WHERE store = ? ORDER BY key`, s.store)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}
