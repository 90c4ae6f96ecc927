package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
)

// MaxPoolConns bounds the connections of one address's pool (Spin's
// bound).
const MaxPoolConns = 64

// sessionReset undoes what a guest may have changed in a session before
// its connection serves another (what Spin's pool runs on recycling).
const sessionReset = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES"

// Driver connects to PostgreSQL servers. It is safe for concurrent use.
type Driver struct {
	pools *rdbms.Pools[*pgxpool.Pool]
}

// New returns a Driver without pools.
func New() *Driver {
	return &Driver{pools: rdbms.NewPools(newPool, (*pgxpool.Pool).Close)}
}

// Scheme is "postgres".
func (d *Driver) Scheme() string { return "postgres" }

// Endpoints returns the TCP hosts and ports of a connection string.
func (d *Driver) Endpoints(address string) ([]rdbms.Endpoint, error) {
	cfg, err := pgconn.ParseConfig(address)
	if err != nil {
		return nil, rdbms.Errorf(rdbms.ConnectionFailed, "%v", err)
	}
	eps := []rdbms.Endpoint{{Host: cfg.Host, Port: int(cfg.Port)}}
	for _, f := range cfg.Fallbacks {
		eps = append(eps, rdbms.Endpoint{Host: f.Host, Port: int(f.Port)})
	}
	for _, ep := range eps {
		if strings.HasPrefix(ep.Host, "/") {
			return nil, rdbms.Errorf(rdbms.ConnectionFailed, "Unix sockets are not supported on WebAssembly")
		}
	}
	return eps, nil
}

// Connect takes a connection from address's pool, creating the pool if
// needed.
func (d *Driver) Connect(ctx context.Context, address string) (rdbms.Conn, error) {
	p, err := d.pools.Get(address)
	if err != nil {
		return nil, rdbms.Errorf(rdbms.ConnectionFailed, "%v", err)
	}
	c, err := p.Acquire(ctx)
	if err != nil {
		return nil, rdbms.Errorf(rdbms.ConnectionFailed, "%v", err)
	}
	return &conn{c: c}, nil
}

// newPool makes the pool of address; it connects on demand.
func newPool(address string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(address)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = MaxPoolConns
	cfg.MinConns, cfg.MinIdleConns = 0, 0
	cfg.MaxConnIdleTime = time.Minute
	cfg.AfterRelease = func(c *pgx.Conn) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.PgConn().Exec(ctx, sessionReset).ReadAll()
		return err == nil
	}
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

// Close closes every pool (waiting for connections in use).
func (d *Driver) Close() error {
	d.pools.Close()
	return nil
}

// conn is a connection taken from a pool.
type conn struct {
	c *pgxpool.Conn
}

func (c *conn) Close() error {
	c.c.Release()
	return nil
}

// Execute runs statement and returns the number of rows it affected. A
// parameter that cannot be converted is value-conversion-failed, as in
// Spin (an unsigned one bad-parameter).
func (c *conn) Execute(ctx context.Context, statement string, params []rdbms.Value) (uint64, error) {
	args, err := toArgs(params)
	if err != nil {
		return 0, paramError(rdbms.ValueConversionFailed, err)
	}
	ctx, cancel := context.WithTimeout(ctx, rdbms.StatementTimeout)
	defer cancel()
	tag, err := c.c.Exec(ctx, statement, args...)
	if err != nil {
		return 0, queryFailed(err)
	}
	return uint64(tag.RowsAffected()), nil
}

// Query runs statement and returns its rows. A parameter that cannot be
// converted is bad-parameter, as in Spin.
func (c *conn) Query(ctx context.Context, statement string, params []rdbms.Value) (*rdbms.RowSet, error) {
	args, err := toArgs(params)
	if err != nil {
		return nil, paramError(rdbms.BadParameter, err)
	}
	ctx, cancel := context.WithTimeout(ctx, rdbms.StatementTimeout)
	defer cancel()
	rows, err := c.c.Query(ctx, statement, args...)
	if err != nil {
		return nil, queryFailed(err)
	}
	defer rows.Close()
	set := &rdbms.RowSet{Columns: []rdbms.Column{}, Rows: [][]rdbms.Value{}}
	fields := rows.FieldDescriptions()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, queryFailed(err)
		}
		row := make([]rdbms.Value, len(vals))
		for i, v := range vals {
			if row[i], err = fromPG(fields[i].DataTypeOID, v); err != nil {
				return nil, rdbms.Errorf(rdbms.QueryFailed, "column %q: %v", fields[i].Name, err)
			}
		}
		set.Rows = append(set.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, queryFailed(err)
	}
	if len(set.Rows) > 0 {
		for _, f := range fields {
			set.Columns = append(set.Columns, rdbms.Column{Name: f.Name, Type: dataType(f.DataTypeOID)})
		}
	}
	return set, nil
}

// paramError is the error of a parameter toArgs refused: bad-parameter
// for an unsigned one (before any conversion, as Spin's), kind otherwise.
func paramError(kind rdbms.ErrorKind, err error) error {
	if errors.Is(err, errUnsigned) {
		kind = rdbms.BadParameter
	}
	return rdbms.Errorf(kind, "%v", err)
}

// queryFailed is the query-failed error of err: the server's message with
// its SQLSTATE, or the driver's.
func queryFailed(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return rdbms.Errorf(rdbms.QueryFailed, "%s", pgErr.Error())
	}
	return rdbms.Errorf(rdbms.QueryFailed, "%v", err)
}
