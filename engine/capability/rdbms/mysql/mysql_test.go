package mysql

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
	"github.com/spinoci/spinoci/engine/capability/rdbms/rdbmstest"
	"github.com/spinoci/spinoci/test/servers"
)

func open(t *testing.T) (*rdbms.Access, *servers.Server) {
	t.Helper()
	srv := servers.MariaDB(t)
	d := New()
	t.Cleanup(func() { d.Close() })
	allowed := networktest.AllowList(t, "mysql://"+srv.Addr())
	return rdbms.NewAccess(d, allowed), srv
}

// connect opens a connection to srv through access; the caller closes it.
func connect(t *testing.T, access *rdbms.Access, srv *servers.Server) rdbms.Conn {
	t.Helper()
	c, err := access.Open(context.Background(), srv.MySQLURL())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEveryTypeRoundTrips(t *testing.T) {
	ctx := context.Background()
	access, srv := open(t)
	c := connect(t, access, srv)
	defer c.Close()
	if _, err := c.Execute(ctx, `CREATE TABLE t (b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT,
		u8 TINYINT UNSIGNED, u16 SMALLINT UNSIGNED, u32 INT UNSIGNED, u64 BIGINT UNSIGNED,
		f32 FLOAT, f64 DOUBLE, s VARCHAR(20), tx TEXT, bin VARBINARY(10), bl BLOB, d DATE)`, nil); err != nil {
		t.Fatal(err)
	}
	params := []rdbms.Value{
		{Kind: rdbms.Boolean, Bool: true},
		{Kind: rdbms.Int8, Int: -128},
		{Kind: rdbms.Int16, Int: -32768},
		{Kind: rdbms.Int32, Int: math.MinInt32},
		{Kind: rdbms.Int64, Int: math.MinInt64},
		{Kind: rdbms.Uint8, Uint: 255},
		{Kind: rdbms.Uint16, Uint: 65535},
		{Kind: rdbms.Uint32, Uint: math.MaxUint32},
		{Kind: rdbms.Uint64, Uint: math.MaxUint64},
		{Kind: rdbms.Floating32, Float: 1.5},
		{Kind: rdbms.Floating64, Float: -2.25e300},
		{Kind: rdbms.Str, Str: "héllo"},
		{Kind: rdbms.Str, Str: "text"},
		{Kind: rdbms.Binary, Bytes: []byte{0, 1, 255}},
		{Kind: rdbms.Binary, Bytes: []byte{}},
		{Kind: rdbms.Null},
	}
	if _, err := c.Execute(ctx, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", params); err != nil {
		t.Fatal(err)
	}
	nulls := make([]rdbms.Value, 16)
	for i := range nulls {
		nulls[i].Kind = rdbms.Null
	}
	if _, err := c.Execute(ctx, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", nulls); err != nil {
		t.Fatal(err)
	}
	wantCols := []rdbms.Column{{Name: "b", Type: rdbms.Int8}, {Name: "i8", Type: rdbms.Int8}, {Name: "i16", Type: rdbms.Int16},
		{Name: "i32", Type: rdbms.Int32}, {Name: "i64", Type: rdbms.Int64}, {Name: "u8", Type: rdbms.Uint8}, {Name: "u16", Type: rdbms.Uint16},
		{Name: "u32", Type: rdbms.Uint32}, {Name: "u64", Type: rdbms.Uint64}, {Name: "f32", Type: rdbms.Floating32},
		{Name: "f64", Type: rdbms.Floating64}, {Name: "s", Type: rdbms.Str}, {Name: "tx", Type: rdbms.Str},
		{Name: "bin", Type: rdbms.Binary}, {Name: "bl", Type: rdbms.Binary}, {Name: "d", Type: rdbms.Unsupported}}
	want := append([]rdbms.Value{{Kind: rdbms.Int8, Int: 1}}, params[1:]...) // BOOLEAN is TINYINT(1)
	// Text protocol (no parameters) and binary protocol (with one) decode alike.
	for _, q := range []struct {
		stmt   string
		params []rdbms.Value
	}{{"SELECT * FROM t ORDER BY b IS NULL", nil}, {"SELECT * FROM t WHERE i8 = ? OR i8 IS NULL ORDER BY b IS NULL", params[1:2]}} {
		set, err := c.Query(ctx, q.stmt, q.params)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(set.Columns, wantCols) {
			t.Errorf("columns = %+v\nwant %+v", set.Columns, wantCols)
		}
		if len(set.Rows) != 2 || !reflect.DeepEqual(set.Rows[0], want) {
			t.Fatalf("%s: rows = %+v\nwant %+v", q.stmt, set.Rows, want)
		}
		for i, v := range set.Rows[1] {
			if v.Kind != rdbms.Null {
				t.Errorf("null row column %d = %+v", i, v)
			}
		}
	}
	// Columns come with an empty result too.
	set, err := c.Query(ctx, "SELECT i8 FROM t WHERE false", nil)
	if err != nil || !reflect.DeepEqual(set.Columns, []rdbms.Column{{Name: "i8", Type: rdbms.Int8}}) || len(set.Rows) != 0 {
		t.Errorf("empty query = %+v, %v", set, err)
	}
	// A date is no value of these interfaces: Spin fails the query.
	_, err = c.Query(ctx, "SELECT d FROM t WHERE d IS NULL", nil)
	if err != nil {
		t.Errorf("a null of another type: %v", err)
	}
	if _, err := c.Execute(ctx, "UPDATE t SET d = '2024-01-02'", nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.Query(ctx, "SELECT d FROM t", nil)
	rdbmstest.WantError(t, "date column", err, rdbms.ValueConversionFailed, "cannot convert value 2024-01-02 in column d (DATE)")
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	access, srv := open(t)
	c := connect(t, access, srv)
	defer c.Close()
	_, err := c.Query(ctx, "SELECT * FROM missing", nil)
	rdbmstest.WantError(t, "missing table", err, rdbms.QueryFailed, "Error 1146 (42S02): Table 'spin.missing' doesn't exist")
	_, err = c.Execute(ctx, "SELEC 1", nil)
	rdbmstest.WantError(t, "syntax", err, rdbms.QueryFailed, "You have an error in your SQL syntax")
	_, err = c.Query(ctx, "SELECT ?", []rdbms.Value{{Kind: rdbms.Date}})
	rdbmstest.WantError(t, "date parameter", err, rdbms.BadParameter, "MySQL does not support date parameters")

	_, err = access.Open(ctx, strings.Replace(srv.MySQLURL(), servers.SQLPassword, "wrong", 1))
	rdbmstest.WantError(t, "wrong password", err, rdbms.ConnectionFailed, "Access denied for user 'spin'")
	_, err = access.Open(ctx, "mysql://spin@127.0.0.2/spin")
	rdbmstest.WantError(t, "other host", err, rdbms.ConnectionFailed, "address mysql://127.0.0.2:3306 is not permitted")
	_, err = access.Open(ctx, "spin:pw@tcp(127.0.0.1)/spin")
	rdbmstest.WantError(t, "DSN instead of URL", err, rdbms.ConnectionFailed, "invalid MySQL address")
	_, err = access.Open(ctx, srv.MySQLURL()+"?ssl-mode=sometimes")
	rdbmstest.WantError(t, "bad ssl-mode", err, rdbms.ConnectionFailed, `unknown ssl-mode "sometimes"`)
}

func TestSessionsAreNotShared(t *testing.T) {
	ctx := context.Background()
	access, srv := open(t)
	c := connect(t, access, srv)
	if _, err := c.Execute(ctx, "SET @leak = 'yes'", nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c = connect(t, access, srv)
	defer c.Close()
	set, err := c.Query(ctx, "SELECT @leak", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := set.Rows[0][0]; v.Kind != rdbms.Null {
		t.Errorf("a new session sees the last one's variable: %+v", v)
	}
}
