package mysql

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
)

// MaxOpen bounds the open sessions to one address.
const MaxOpen = 64

// defaultPort is MySQL's.
const defaultPort = 3306

// Driver connects to MySQL servers. It is safe for concurrent use.
type Driver struct {
	dbs *rdbms.Pools[*sql.DB]
}

// New returns a Driver.
func New() *Driver {
	return &Driver{dbs: rdbms.NewPools(newDB, func(db *sql.DB) { db.Close() })}
}

// Scheme is "mysql".
func (d *Driver) Scheme() string { return "mysql" }

// Close closes every session.
func (d *Driver) Close() error {
	d.dbs.Close()
	return nil
}

// Endpoints returns the host and port of a mysql:// URL.
func (d *Driver) Endpoints(address string) ([]rdbms.Endpoint, error) {
	cfg, err := parseAddress(address)
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(cfg.Addr)
	n, _ := strconv.Atoi(port)
	return []rdbms.Endpoint{{Host: host, Port: n}}, nil
}

// parseAddress reads a mysql:// URL; errors are connection-failed.
func parseAddress(address string) (*mysql.Config, error) {
	u, err := url.Parse(address)
	if err != nil || u.Scheme != "mysql" || u.Hostname() == "" {
		return nil, rdbms.Errorf(rdbms.ConnectionFailed, "invalid MySQL address: want mysql://user:password@host[:port]/database")
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	port := u.Port()
	if port == "" {
		port = strconv.Itoa(defaultPort)
	}
	cfg.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.Timeout = rdbms.ConnectTimeout
	for key, vals := range u.Query() {
		if !strings.EqualFold(key, "ssl-mode") && !strings.EqualFold(key, "sslmode") {
			continue
		}
		switch mode := strings.ToLower(vals[len(vals)-1]); mode {
		case "disabled":
		case "preferred":
			cfg.TLSConfig = "preferred"
		case "required":
			cfg.TLSConfig = "skip-verify"
		case "verify_ca", "verify_identity":
			cfg.TLSConfig = "true"
		default:
			return nil, rdbms.Errorf(rdbms.ConnectionFailed, "invalid MySQL address: unknown ssl-mode %q", mode)
		}
	}
	return cfg, nil
}

// newDB makes the sessions of address: without idle sessions, so each
// open is a new session and each close ends it.
func newDB(address string) (*sql.DB, error) {
	cfg, err := parseAddress(address)
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxIdleConns(0)
	db.SetMaxOpenConns(MaxOpen)
	return db, nil
}

// Connect opens a session.
func (d *Driver) Connect(ctx context.Context, address string) (rdbms.Conn, error) {
	db, err := d.dbs.Get(address)
	if err != nil {
		return nil, rdbms.AsConnectionFailed(err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, rdbms.Errorf(rdbms.ConnectionFailed, "%v", err)
	}
	return &conn{c: c}, nil
}

type conn struct {
	c *sql.Conn
}

func (c *conn) Close() error { return c.c.Close() }

// Execute runs statement; MySQL's execute reports no row count.
func (c *conn) Execute(ctx context.Context, statement string, params []rdbms.Value) (uint64, error) {
	args, err := toArgs(params)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, rdbms.StatementTimeout)
	defer cancel()
	if _, err := c.c.ExecContext(ctx, statement, args...); err != nil {
		return 0, queryFailed(err)
	}
	return 0, nil
}

// Query runs statement and returns its columns and rows.
func (c *conn) Query(ctx context.Context, statement string, params []rdbms.Value) (*rdbms.RowSet, error) {
	args, err := toArgs(params)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, rdbms.StatementTimeout)
	defer cancel()
	rows, err := c.c.QueryContext(ctx, statement, args...)
	if err != nil {
		return nil, queryFailed(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, rdbms.Errorf(rdbms.Other, "%v", err)
	}
	set := &rdbms.RowSet{Columns: make([]rdbms.Column, len(types)), Rows: [][]rdbms.Value{}}
	for i, t := range types {
		set.Columns[i] = rdbms.Column{Name: t.Name(), Type: dataType(t.DatabaseTypeName())}
	}
	cells := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, rdbms.Errorf(rdbms.Other, "%v", err)
		}
		row := make([]rdbms.Value, len(cells))
		for i, cell := range cells {
			if row[i], err = fromMySQL(set.Columns[i], types[i].DatabaseTypeName(), cell); err != nil {
				return nil, err
			}
		}
		set.Rows = append(set.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, rdbms.Errorf(rdbms.Other, "%v", err)
	}
	return set, nil
}

// queryFailed is the query-failed error of err.
func queryFailed(err error) error {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return rdbms.Errorf(rdbms.QueryFailed, "%s", myErr.Error())
	}
	return rdbms.Errorf(rdbms.QueryFailed, "%v", err)
}
