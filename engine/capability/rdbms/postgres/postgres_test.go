package postgres

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
	"github.com/spinoci/spinoci/engine/capability/rdbms/rdbmstest"
	"github.com/spinoci/spinoci/test/servers"
)

// open starts a server and opens a connection to it, allowed by the
// component's allow-list.
func open(t *testing.T) (rdbms.Conn, *servers.Server) {
	t.Helper()
	srv := servers.Postgres(t)
	d := New()
	t.Cleanup(func() { d.Close() })
	allowed := networktest.AllowList(t, "postgres://"+srv.Addr())
	c, err := rdbms.NewAccess(d, allowed).Open(context.Background(), srv.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, srv
}

func TestEveryTypeRoundTrips(t *testing.T) {
	ctx := context.Background()
	c, _ := open(t)
	n, err := c.Execute(ctx, `CREATE TABLE t (b bool, i16 int2, i32 int4, i64 int8, f32 float4, f64 float8, s text, v varchar(10),
		c char(3), bin bytea, d date, tm time, dt timestamp, ts timestamptz, j jsonb)`, nil)
	if err != nil || n != 0 {
		t.Fatalf("CREATE = %d, %v", n, err)
	}
	civilDate := rdbms.Civil{Year: 2024, Month: 2, Day: 29}
	civilTime := rdbms.Civil{Hour: 23, Minute: 59, Second: 58, Nanosecond: 123456000}
	civilDT := rdbms.Civil{Year: 1999, Month: 12, Day: 31, Hour: 1, Minute: 2, Second: 3, Nanosecond: 4000}
	params := []rdbms.Value{
		{Kind: rdbms.Boolean, Bool: true},
		{Kind: rdbms.Int8, Int: -8}, // into int2
		{Kind: rdbms.Int32, Int: -2147483648},
		{Kind: rdbms.Int64, Int: 9223372036854775807},
		{Kind: rdbms.Floating32, Float: 1.5},
		{Kind: rdbms.Floating64, Float: -2.25e300},
		{Kind: rdbms.Str, Str: "héllo"},
		{Kind: rdbms.Str, Str: "v"},
		{Kind: rdbms.Str, Str: "abc"},
		{Kind: rdbms.Binary, Bytes: []byte{0, 1, 255}},
		{Kind: rdbms.Date, Civil: civilDate},
		{Kind: rdbms.Time, Civil: civilTime},
		{Kind: rdbms.Datetime, Civil: civilDT},
		{Kind: rdbms.Timestamp, Int: 1700000000},
		{Kind: rdbms.Str, Str: `{"a": 1}`},
	}
	n, err = c.Execute(ctx, "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)", params)
	if err != nil || n != 1 {
		t.Fatalf("INSERT = %d, %v", n, err)
	}
	nulls := make([]rdbms.Value, 15)
	for i := range nulls {
		nulls[i].Kind = rdbms.Null
	}
	if _, err := c.Execute(ctx, "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)", nulls); err != nil {
		t.Fatal(err)
	}
	set, err := c.Query(ctx, "SELECT * FROM t ORDER BY b NULLS LAST", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []rdbms.Column{{Name: "b", Type: rdbms.Boolean}, {Name: "i16", Type: rdbms.Int16}, {Name: "i32", Type: rdbms.Int32}, {Name: "i64", Type: rdbms.Int64},
		{Name: "f32", Type: rdbms.Floating32}, {Name: "f64", Type: rdbms.Floating64}, {Name: "s", Type: rdbms.Str}, {Name: "v", Type: rdbms.Str}, {Name: "c", Type: rdbms.Str},
		{Name: "bin", Type: rdbms.Binary}, {Name: "d", Type: rdbms.Date}, {Name: "tm", Type: rdbms.Time}, {Name: "dt", Type: rdbms.Datetime}, {Name: "ts", Type: rdbms.Datetime}, {Name: "j", Type: rdbms.Unsupported}}
	if !reflect.DeepEqual(set.Columns, wantCols) {
		t.Errorf("columns = %+v\nwant %+v", set.Columns, wantCols)
	}
	want := []rdbms.Value{
		{Kind: rdbms.Boolean, Bool: true},
		{Kind: rdbms.Int16, Int: -8},
		{Kind: rdbms.Int32, Int: -2147483648},
		{Kind: rdbms.Int64, Int: 9223372036854775807},
		{Kind: rdbms.Floating32, Float: 1.5},
		{Kind: rdbms.Floating64, Float: -2.25e300},
		{Kind: rdbms.Str, Str: "héllo"},
		{Kind: rdbms.Str, Str: "v"},
		{Kind: rdbms.Str, Str: "abc"},
		{Kind: rdbms.Binary, Bytes: []byte{0, 1, 255}},
		{Kind: rdbms.Date, Civil: civilDate},
		{Kind: rdbms.Time, Civil: civilTime},
		{Kind: rdbms.Datetime, Civil: civilDT},
		{Kind: rdbms.Datetime, Civil: rdbms.Civil{Year: 2023, Month: 11, Day: 14, Hour: 22, Minute: 13, Second: 20}},
		{Kind: rdbms.Unsupported},
	}
	if len(set.Rows) != 2 {
		t.Fatalf("rows = %+v", set.Rows)
	}
	if !reflect.DeepEqual(set.Rows[0], want) {
		t.Errorf("row = %+v\nwant %+v", set.Rows[0], want)
	}
	for i, v := range set.Rows[1] {
		if wantKind := map[bool]rdbms.Kind{true: rdbms.Unsupported, false: rdbms.Null}[i == 14]; v.Kind != wantKind {
			t.Errorf("null row column %d = %+v, want %s", i, v, wantKind.Name())
		}
	}
	// A query without rows has no columns (Spin's behaviour).
	set, err = c.Query(ctx, "SELECT * FROM t WHERE false", nil)
	if err != nil || len(set.Columns) != 0 || len(set.Rows) != 0 {
		t.Errorf("empty query = %+v, %v", set, err)
	}
	n, err = c.Execute(ctx, "UPDATE t SET s = $1", []rdbms.Value{{Kind: rdbms.Str, Str: "x"}})
	if err != nil || n != 2 {
		t.Errorf("UPDATE = %d, %v, want 2 rows", n, err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	c, srv := open(t)
	_, err := c.Query(ctx, "SELECT * FROM missing", nil)
	rdbmstest.WantError(t, "missing table", err, rdbms.QueryFailed, `relation "missing" does not exist (SQLSTATE 42P01)`)
	_, err = c.Execute(ctx, "SELEC 1", nil)
	rdbmstest.WantError(t, "syntax error", err, rdbms.QueryFailed, "syntax error")
	_, err = c.Query(ctx, "SELECT $1::int4", []rdbms.Value{{Kind: rdbms.Uint32, Uint: 1}})
	rdbmstest.WantError(t, "unsigned query parameter", err, rdbms.BadParameter, "Postgres does not support unsigned integers")
	_, err = c.Execute(ctx, "SELECT $1::date", []rdbms.Value{{Kind: rdbms.Date, Civil: rdbms.Civil{Year: 2023, Month: 2, Day: 30}}})
	rdbmstest.WantError(t, "invalid date in execute", err, rdbms.ValueConversionFailed, "invalid date 2023-2-30")
	_, err = c.Query(ctx, "SELECT 'infinity'::date", nil)
	rdbmstest.WantError(t, "infinite date", err, rdbms.QueryFailed, `column "date"`)

	d := New()
	defer d.Close()
	allowed := networktest.AllowList(t, "postgres://"+srv.Addr())
	access := rdbms.NewAccess(d, allowed)
	_, err = access.Open(ctx, strings.Replace(srv.PostgresURL(), servers.SQLPassword, "wrong", 1))
	rdbmstest.WantError(t, "wrong password", err, rdbms.ConnectionFailed, "password authentication failed")
	_, err = access.Open(ctx, "postgres://spin@127.0.0.2:5432/spin")
	rdbmstest.WantError(t, "other host", err, rdbms.ConnectionFailed, "address postgres://127.0.0.2:5432 is not permitted")
	_, err = access.Open(ctx, "host=/var/run/postgresql user=spin")
	rdbmstest.WantError(t, "unix socket", err, rdbms.ConnectionFailed, "Unix sockets are not supported")
	_, err = access.Open(ctx, "postgres://%zz")
	rdbmstest.WantError(t, "bad address", err, rdbms.ConnectionFailed, "")
	var denied *rdbms.Access
	_, err = denied.Open(ctx, srv.PostgresURL())
	rdbmstest.WantError(t, "no access", err, rdbms.ConnectionFailed, "is not permitted")
}

func TestSessionStateDoesNotLeakThroughThePool(t *testing.T) {
	ctx := context.Background()
	srv := servers.Postgres(t)
	d := New()
	defer d.Close()
	c, err := d.Connect(ctx, srv.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execute(ctx, "SET application_name = 'leaky'", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execute(ctx, "CREATE TEMP TABLE tmp (x int)", nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	for range 3 { // the reset runs in the background after release
		c, err = d.Connect(ctx, srv.PostgresURL())
		if err != nil {
			t.Fatal(err)
		}
		set, err := c.Query(ctx, "SELECT current_setting('application_name'), to_regclass('tmp') IS NULL", nil)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if row := set.Rows[0]; row[0].Str == "leaky" || !row[1].Bool {
			t.Errorf("a new connection sees the last one's session: %+v", row)
		}
	}
}
