package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DefaultLabel is the database every Spin app may list.
const DefaultLabel = "default"

// DefaultFileName is the file of the "default" database inside the state
// directory, the name Spin uses under its .spin directory.
const DefaultFileName = "sqlite_db.db"

// TableCapacity is how many connections one instance may hold open at
// once (Spin's limit).
const TableCapacity = 256

// Spin's SQLite error kinds. Other errors of Execute are Spin's io case.
var (
	ErrNoSuchDatabase    = errors.New("no such database")
	ErrAccessDenied      = errors.New("access denied")
	ErrInvalidConnection = errors.New("invalid connection")
	ErrDatabaseFull      = errors.New("database full")
)

// Kind is the type of a Value.
type Kind uint8

// The value kinds, in the order of the WIT variant's cases.
const (
	Integer Kind = iota
	Real
	Text
	Blob
	Null
)

// Value is a SQLite value: a parameter or a column of a result row.
type Value struct {
	Kind    Kind
	Integer int64
	Real    float64
	Text    string
	Blob    []byte
}

// QueryResult is what Execute returns: the statement's column names and
// its rows (none for a statement that returns no rows).
type QueryResult struct {
	Columns []string
	Rows    [][]Value
}

// Database is one open SQLite database.
type Database struct {
	db *sql.DB
}

// Open opens (creating it and its directory if needed) the database file,
// or an in-memory database when file is "".
func Open(ctx context.Context, file string) (*Database, error) {
	db, err := OpenDB(ctx, file)
	if err != nil {
		return nil, fmt.Errorf("sqlite database: %w", err)
	}
	return &Database{db: db}, nil
}

// OpenDB opens a SQLite file for sharing by every request of an App (the
// key-value stores use it too): WAL and a busy timeout let concurrent
// requests, and a second process on the same file, wait instead of
// failing. file "" is an in-memory database on one connection (each
// connection to ":memory:" is its own database). The file and its
// directory are created if needed.
func OpenDB(ctx context.Context, file string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	dsn := ":memory:?" + q.Encode()
	if file != "" {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return nil, err
		}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		dsn = "file:" + file + "?" + q.Encode()
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if file == "" {
		db.SetMaxOpenConns(1)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return db, nil
}

// Close closes the database.
func (d *Database) Close() error { return d.db.Close() }

// Execute runs statement with its ? parameters and returns its columns
// and rows. Integers, reals, text, blobs and nulls round-trip as such.
func (d *Database) Execute(ctx context.Context, statement string, params []Value) (*QueryResult, error) {
	args := make([]any, len(params))
	for i, p := range params {
		switch p.Kind {
		case Integer:
			args[i] = p.Integer
		case Real:
			args[i] = p.Real
		case Text:
			args[i] = p.Text
		case Blob:
			b := p.Blob
			if b == nil {
				b = []byte{}
			}
			args[i] = b
		default:
			args[i] = nil
		}
	}
	rows, err := d.db.QueryContext(ctx, statement, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, classify(err)
	}
	res := &QueryResult{Columns: cols, Rows: [][]Value{}}
	if cols == nil {
		res.Columns = []string{}
	}
	for rows.Next() {
		cells := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, classify(err)
		}
		row := make([]Value, len(cols))
		for i, c := range cells {
			row[i] = toValue(c)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return res, nil
}

// toValue converts what the driver scanned into a Value.
func toValue(c any) Value {
	switch v := c.(type) {
	case int64:
		return Value{Kind: Integer, Integer: v}
	case float64:
		return Value{Kind: Real, Real: v}
	case string:
		return Value{Kind: Text, Text: v}
	case []byte:
		return Value{Kind: Blob, Blob: append([]byte{}, v...)}
	case bool:
		if v {
			return Value{Kind: Integer, Integer: 1}
		}
		return Value{Kind: Integer}
	case nil:
		return Value{Kind: Null}
	}
	return Value{Kind: Text, Text: fmt.Sprint(c)}
}

// classify marks SQLITE_FULL as ErrDatabaseFull; other errors are io.
func classify(err error) error {
	if strings.Contains(err.Error(), "SQLITE_FULL") || strings.Contains(err.Error(), "database or disk is full") {
		return fmt.Errorf("%w: %v", ErrDatabaseFull, err)
	}
	return err
}
