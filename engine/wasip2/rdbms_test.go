package wasip2

import (
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
	"github.com/spinoci/spinoci/engine/capability/rdbms/mysql"
	"github.com/spinoci/spinoci/engine/capability/rdbms/postgres"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/servers"
)

// sqlFixture runs testdata/rdbms.wat's exports.
type sqlFixture struct {
	t *testing.T
	f *fixture
}

func (s sqlFixture) call(name string, args ...capi.Val) capi.Result {
	s.t.Helper()
	out, _, err := s.f.call(s.t, name, 1, args...)
	if err != nil {
		s.t.Fatalf("%s: %v", name, err)
	}
	return out[0].(capi.Result)
}

// run calls <prefix>-<fn>(address, statement, params).
func (s sqlFixture) run(prefix, fn, address, stmt string, params ...capi.Val) capi.Result {
	s.t.Helper()
	return s.call(prefix+"-"+fn, capi.String(address), capi.String(stmt), capi.List(append([]capi.Val{}, params...)))
}

// ok returns a result's payload, failing the test on an error.
func (s sqlFixture) ok(what string, r capi.Result) capi.Val {
	s.t.Helper()
	if !r.Ok {
		s.t.Fatalf("%s: %#v", what, r.Val)
	}
	return r.Val
}

// wantErr checks that r is the error case named c with a message containing text.
func (s sqlFixture) wantErr(what string, r capi.Result, c, text string) {
	s.t.Helper()
	v, ok := r.Val.(capi.Variant)
	if r.Ok || !ok || v.Case != c || !strings.Contains(string(v.Val.(capi.String)), text) {
		s.t.Errorf("%s = %#v, want %s containing %q", what, r, c, text)
	}
}

func v(c string, val capi.Val) capi.Variant { return capi.Variant{Case: c, Val: val} }

func columns(names ...string) capi.List {
	out := capi.List{}
	for i := 0; i < len(names); i += 2 {
		out = append(out, capi.Record{{Name: "name", Val: capi.String(names[i])}, {Name: "data-type", Val: capi.Enum(names[i+1])}})
	}
	return out
}

func rowSet(cols capi.List, rows ...capi.List) capi.Record {
	rs := capi.List{}
	for _, r := range rows {
		rs = append(rs, r)
	}
	return capi.Record{{Name: "columns", Val: cols}, {Name: "rows", Val: rs}}
}

func postgresFixture(t *testing.T) (sqlFixture, *servers.Server) {
	t.Helper()
	srv := servers.Postgres(t)
	d := postgres.New()
	t.Cleanup(func() { d.Close() })
	allowed := networktest.AllowList(t, "postgres://"+srv.Addr())
	return sqlFixture{t: t, f: newFixture(t, "rdbms", Config{Postgres: rdbms.NewAccess(d, allowed)})}, srv
}

func TestPostgresBindings(t *testing.T) {
	s, srv := postgresFixture(t)
	url := srv.PostgresURL()
	for _, p := range []string{"pg2", "pg1"} {
		table := "t_" + p
		if n := s.ok("CREATE", s.run(p, "execute", url, "CREATE TABLE "+table+" (b bool, i16 int2, i32 int4, i64 int8, f32 float4, f64 float8, s text, bin bytea, n text, d date)")); n != capi.U64(0) {
			t.Errorf("%s CREATE = %#v, want 0 rows", p, n)
		}
		params := []capi.Val{v("boolean", capi.Bool(true)), v("int8", capi.S8(-8)), v("int32", capi.S32(-70000)), v("int64", capi.S64(1<<40)),
			v("floating32", capi.F32(1.5)), v("floating64", capi.F64(-0.25)), v("str", capi.String("tëxt")), v("binary", capi.Bytes{0, 255}), v("db-null", nil)}
		n := s.ok("INSERT", s.run(p, "execute", url, "INSERT INTO "+table+" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '2024-02-29')", params...))
		if n != capi.U64(1) {
			t.Errorf("%s INSERT = %#v, want 1 row", p, n)
		}
		got := s.ok("SELECT", s.run(p, "query", url, "SELECT * FROM "+table+" WHERE s = $1", params[6]))
		want := rowSet(columns("b", "boolean", "i16", "int16", "i32", "int32", "i64", "int64", "f32", "floating32", "f64", "floating64",
			"s", "str", "bin", "binary", "n", "str", "d", "other"),
			capi.List{v("boolean", capi.Bool(true)), v("int16", capi.S16(-8)), v("int32", capi.S32(-70000)), v("int64", capi.S64(1<<40)),
				v("floating32", capi.F32(1.5)), v("floating64", capi.F64(-0.25)), v("str", capi.String("tëxt")), v("binary", capi.Bytes{0, 255}),
				v("db-null", nil), v("unsupported", nil)})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s SELECT = %#v\nwant %#v", p, got, want)
		}
		s.wantErr(p+" missing table", s.run(p, "query", url, "SELECT * FROM missing"), "query-failed", `relation "missing" does not exist`)
		s.wantErr(p+" unsigned", s.run(p, "execute", url, "SELECT $1", v("uint16", capi.U16(1))), "bad-parameter", "Postgres does not support unsigned integers")
		s.wantErr(p+" denied", s.run(p, "query", "postgres://spin@127.0.0.1:1/spin", "SELECT 1"), "connection-failed", "address postgres://127.0.0.1:1 is not permitted")
		s.wantErr(p+" denied execute", s.run(p, "execute", "postgres://spin@127.0.0.1:1/spin", "SELECT 1"), "connection-failed", "is not permitted")
		s.wantErr(p+" wrong password", s.run(p, "query", strings.Replace(url, servers.SQLPassword, "nope", 1), "SELECT 1"), "connection-failed", "password authentication failed")
	}
}

func TestPostgres3Binding(t *testing.T) {
	s, srv := postgresFixture(t)
	url := srv.PostgresURL()
	s.ok("CREATE", s.run("pg3", "execute", url, "CREATE TABLE t (d date, tm time, dt timestamp, ts timestamptz, i16 int2, u uuid)"))
	date := capi.Tuple{capi.S32(2024), capi.U8(2), capi.U8(29)}
	tm := capi.Tuple{capi.U8(13), capi.U8(14), capi.U8(15), capi.U32(16000)}
	dt := capi.Tuple{capi.S32(1999), capi.U8(12), capi.U8(31), capi.U8(23), capi.U8(59), capi.U8(59), capi.U32(999999000)}
	n := s.ok("INSERT", s.run("pg3", "execute", url, "INSERT INTO t VALUES ($1, $2, $3, $4, $5, gen_random_uuid())",
		v("date", date), v("time", tm), v("datetime", dt), v("timestamp", capi.S64(0)), v("int16", capi.S16(-2))))
	if n != capi.U64(1) {
		t.Errorf("INSERT = %#v", n)
	}
	got := s.ok("SELECT", s.run("pg3", "query", url, "SELECT * FROM t"))
	want := rowSet(columns("d", "date", "tm", "time", "dt", "datetime", "ts", "datetime", "i16", "int16", "u", "other"),
		capi.List{v("date", date), v("time", tm), v("datetime", dt),
			v("datetime", capi.Tuple{capi.S32(1970), capi.U8(1), capi.U8(1), capi.U8(0), capi.U8(0), capi.U8(0), capi.U32(0)}),
			v("int16", capi.S16(-2)), v("unsupported", nil)})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SELECT = %#v\nwant %#v", got, want)
	}
	s.wantErr("invalid date", s.run("pg3", "query", url, "SELECT $1", v("date", capi.Tuple{capi.S32(2023), capi.U8(2), capi.U8(29)})),
		"bad-parameter", "invalid date 2023-2-29")
	s.wantErr("invalid date in execute", s.run("pg3", "execute", url, "SELECT $1", v("date", capi.Tuple{capi.S32(2023), capi.U8(13), capi.U8(1)})),
		"value-conversion-failed", "invalid date 2023-13-1")
	s.wantErr("denied", s.run("pg3", "query", "host=db.example.com user=x", "SELECT 1"), "connection-failed", "address postgres://db.example.com:5432 is not permitted")
}

func TestRDBMSConnectionBound(t *testing.T) {
	s, srv := postgresFixture(t)
	out := s.call("pg2-open-count", capi.String(srv.PostgresURL()), capi.U32(rdbms.InstanceConnections))
	if !reflect.DeepEqual(out, capi.Ok(capi.U32(rdbms.InstanceConnections))) {
		t.Fatalf("opening %d connections = %#v", rdbms.InstanceConnections, out)
	}
	s.wantErr("one too many", s.call("pg3-open-count", capi.String(srv.PostgresURL()), capi.U32(rdbms.InstanceConnections+1)), "connection-failed", "too many connections")
	bare := sqlFixture{t: t, f: newFixture(t, "rdbms", Config{})}
	bare.wantErr("no database access", bare.run("mysql2", "query", "mysql://127.0.0.1/x", "SELECT 1"), "connection-failed", "is not permitted")
	bare.wantErr("no database access", bare.run("mysql1", "execute", "mysql://127.0.0.1/x", "SELECT 1"), "connection-failed", "is not permitted")
}

func TestMySQLBindings(t *testing.T) {
	srv := servers.MariaDB(t)
	d := mysql.New()
	t.Cleanup(func() { d.Close() })
	allowed := networktest.AllowList(t, "mysql://"+srv.Addr())
	s := sqlFixture{t: t, f: newFixture(t, "rdbms", Config{MySQL: rdbms.NewAccess(d, allowed)})}
	url := srv.MySQLURL()
	for _, p := range []string{"mysql2", "mysql1"} {
		table := "t_" + p
		if r := s.ok("CREATE", s.run(p, "execute", url, "CREATE TABLE "+table+" (b BOOLEAN, u16 SMALLINT UNSIGNED, i64 BIGINT, f64 DOUBLE, s VARCHAR(9), bin VARBINARY(9), n INT)")); r != nil {
			t.Errorf("%s execute = %#v, want no payload", p, r)
		}
		params := []capi.Val{v("boolean", capi.Bool(true)), v("uint16", capi.U16(65535)), v("int64", capi.S64(-1)),
			v("floating64", capi.F64(0.125)), v("str", capi.String("tëxt")), v("binary", capi.Bytes{1, 2}), v("db-null", nil)}
		s.ok("INSERT", s.run(p, "execute", url, "INSERT INTO "+table+" VALUES (?, ?, ?, ?, ?, ?, ?)", params...))
		got := s.ok("SELECT", s.run(p, "query", url, "SELECT * FROM "+table))
		want := rowSet(columns("b", "int8", "u16", "uint16", "i64", "int64", "f64", "floating64", "s", "str", "bin", "binary", "n", "int32"),
			capi.List{v("int8", capi.S8(1)), v("uint16", capi.U16(65535)), v("int64", capi.S64(-1)), v("floating64", capi.F64(0.125)),
				v("str", capi.String("tëxt")), v("binary", capi.Bytes{1, 2}), v("db-null", nil)})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s SELECT = %#v\nwant %#v", p, got, want)
		}
		s.wantErr(p+" missing table", s.run(p, "query", url, "SELECT * FROM missing"), "query-failed", "Table 'spin.missing' doesn't exist")
		s.wantErr(p+" date column", s.run(p, "query", url, "SELECT CURDATE() AS d"), "value-conversion-failed", "in column d (DATE)")
		s.wantErr(p+" denied", s.run(p, "execute", "mysql://spin@127.0.0.1:1/spin", "SELECT 1"), "connection-failed", "address mysql://127.0.0.1:1 is not permitted")
		s.wantErr(p+" bad address", s.run(p, "query", "127.0.0.1:3306", "SELECT 1"), "connection-failed", "invalid MySQL address")
	}
}
