package coremodule

import (
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
	"github.com/spinoci/spinoci/engine/capability/rdbms/mysql"
	"github.com/spinoci/spinoci/engine/capability/rdbms/postgres"
	"github.com/spinoci/spinoci/test/servers"
)

// rdbmsWAT calls outbound-pg and outbound-mysql with the arguments its
// exports get (address, statement, params as pointer/length pairs); each
// returns the return area the host wrote.
const rdbmsWAT = `(module
  (import "outbound-pg" "query" (func $pg_query (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-pg" "execute" (func $pg_execute (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-mysql" "query" (func $mysql_query (param i32 i32 i32 i32 i32 i32 i32)))
  (import "outbound-mysql" "execute" (func $mysql_execute (param i32 i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 131072))
  (func (export "canonical_abi_realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "outbound-pg.query") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $pg_query (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (i32.const 64))
    (i32.const 64))
  (func (export "outbound-pg.execute") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $pg_execute (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (i32.const 64))
    (i32.const 64))
  (func (export "outbound-mysql.query") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $mysql_query (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (i32.const 64))
    (i32.const 64))
  (func (export "outbound-mysql.execute") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $mysql_execute (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (i32.const 64))
    (i32.const 64)))`

// sqlCall calls module.fn (module outbound-pg or outbound-mysql) and
// returns the 20-byte return area.
func (p *platformInstance) sqlCall(fn, address, statement string, params []rdbms.Value) []byte {
	p.t.Helper()
	ap, an := p.put([]byte(address))
	sp, sn := p.put([]byte(statement))
	buf := make([]byte, 16*len(params))
	abi := rdbms.RDBMSTypes()
	for i, v := range params {
		e := buf[16*i:]
		tag, ok := abi.Case(v.Kind)
		if !ok {
			p.t.Fatalf("parameter kind %s", v.Kind.Name())
		}
		e[0] = byte(tag)
		switch v.Kind {
		case rdbms.Boolean:
			if v.Bool {
				e[8] = 1
			}
		case rdbms.Int8, rdbms.Int16, rdbms.Int32, rdbms.Int64:
			binary.LittleEndian.PutUint64(e[8:], uint64(v.Int))
		case rdbms.Uint8, rdbms.Uint16, rdbms.Uint32, rdbms.Uint64:
			binary.LittleEndian.PutUint64(e[8:], v.Uint)
		case rdbms.Floating32:
			binary.LittleEndian.PutUint32(e[8:], math.Float32bits(float32(v.Float)))
		case rdbms.Floating64:
			binary.LittleEndian.PutUint64(e[8:], math.Float64bits(v.Float))
		case rdbms.Str, rdbms.Binary:
			b := v.Bytes
			if v.Kind == rdbms.Str {
				b = []byte(v.Str)
			}
			p.putRef(e[8:], b)
		}
	}
	pp, _ := p.put(buf)
	return p.call(fn, ap, an, sp, sn, pp, int32(len(params)))
}

// rowSet decodes the row-set of an ok query result.
func (p *platformInstance) rowSet(area []byte) ([]rdbms.Column, [][]rdbms.Value) {
	p.t.Helper()
	if area[0] != 0 {
		p.t.Fatalf("query failed: %s", p.sqlError(area, 4))
	}
	abi := rdbms.RDBMSTypes()
	mem := p.mem()
	var cols []rdbms.Column
	for i := range p.u32(area, 8) {
		c := mem[p.u32(area, 4)+12*i:]
		kind := rdbms.Unsupported // db-data-type's "other", after Values
		switch n := int(c[8]); {
		case n < len(abi.Values):
			kind = abi.Values[n]
		case n > len(abi.Values):
			p.t.Fatalf("column %d: data-type tag %d", i, n)
		}
		cols = append(cols, rdbms.Column{Name: p.str(p.u32(c, 0), p.u32(c, 4)), Type: kind})
	}
	var rows [][]rdbms.Value
	for i := range p.u32(area, 16) {
		r := mem[p.u32(area, 12)+8*i:]
		var row []rdbms.Value
		for j := range p.u32(r, 4) {
			e := mem[p.u32(r, 0)+16*j:]
			kind, _ := abi.Kind(int(e[0]))
			v := rdbms.Value{Kind: kind}
			switch kind {
			case rdbms.Boolean:
				v.Bool = e[8] != 0
			case rdbms.Int8:
				v.Int = int64(int8(e[8]))
			case rdbms.Int16:
				v.Int = int64(int16(binary.LittleEndian.Uint16(e[8:])))
			case rdbms.Int32:
				v.Int = int64(int32(binary.LittleEndian.Uint32(e[8:])))
			case rdbms.Int64:
				v.Int = int64(binary.LittleEndian.Uint64(e[8:]))
			case rdbms.Uint8:
				v.Uint = uint64(e[8])
			case rdbms.Uint16:
				v.Uint = uint64(binary.LittleEndian.Uint16(e[8:]))
			case rdbms.Uint32:
				v.Uint = uint64(binary.LittleEndian.Uint32(e[8:]))
			case rdbms.Uint64:
				v.Uint = binary.LittleEndian.Uint64(e[8:])
			case rdbms.Floating32:
				v.Float = float64(math.Float32frombits(binary.LittleEndian.Uint32(e[8:])))
			case rdbms.Floating64:
				v.Float = math.Float64frombits(binary.LittleEndian.Uint64(e[8:]))
			case rdbms.Str:
				v.Str = p.str(p.u32(e, 8), p.u32(e, 12))
			case rdbms.Binary:
				v.Bytes = []byte(p.str(p.u32(e, 8), p.u32(e, 12)))
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return cols, rows
}

// sqlError is the error variant at offset at of a failed result:
// "<tag>: <message>".
func (p *platformInstance) sqlError(area []byte, at int) string {
	if area[0] != 1 {
		return "no error"
	}
	kind := rdbms.ErrorKind(area[at] - 1)
	return kind.Name() + ": " + p.str(p.u32(area, at+4), p.u32(area, at+8))
}

func TestOutboundPg(t *testing.T) {
	srv := servers.Postgres(t)
	driver := postgres.New()
	t.Cleanup(func() { driver.Close() })
	allowed := networktest.AllowList(t, "postgres://"+srv.Addr())
	p := newWATInstance(t, &Component{ID: "pg", Postgres: rdbms.NewAccess(driver, allowed)}, rdbmsWAT)
	url := srv.PostgresURL()

	area := p.sqlCall("outbound-pg.execute", url, "CREATE TABLE t (b bool, i8 int2, i16 int2, i32 int4, i64 int8, f32 float4, f64 float8, s text, bin bytea, n int4, d date)", nil)
	if area[0] != 0 {
		t.Fatalf("CREATE: %s", p.sqlError(area, 8))
	}
	params := []rdbms.Value{
		{Kind: rdbms.Boolean, Bool: true},
		{Kind: rdbms.Int8, Int: -5},
		{Kind: rdbms.Int16, Int: -300},
		{Kind: rdbms.Int32, Int: 70000},
		{Kind: rdbms.Int64, Int: 1 << 40},
		{Kind: rdbms.Floating32, Float: 1.5},
		{Kind: rdbms.Floating64, Float: -2.5},
		{Kind: rdbms.Str, Str: "héllo"},
		{Kind: rdbms.Binary, Bytes: []byte{0, 255}},
		{Kind: rdbms.Null},
	}
	area = p.sqlCall("outbound-pg.execute", url, "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '2024-01-02')", params)
	if area[0] != 0 || binary.LittleEndian.Uint64(area[8:]) != 1 {
		t.Fatalf("INSERT = %v, %s; want 1 row", area, p.sqlError(area, 8))
	}
	cols, rows := p.rowSet(p.sqlCall("outbound-pg.query", url, "SELECT * FROM t WHERE i32 = $1", params[3:4]))
	wantCols := []rdbms.Column{{Name: "b", Type: rdbms.Boolean}, {Name: "i8", Type: rdbms.Int16}, {Name: "i16", Type: rdbms.Int16},
		{Name: "i32", Type: rdbms.Int32}, {Name: "i64", Type: rdbms.Int64}, {Name: "f32", Type: rdbms.Floating32}, {Name: "f64", Type: rdbms.Floating64},
		{Name: "s", Type: rdbms.Str}, {Name: "bin", Type: rdbms.Binary}, {Name: "n", Type: rdbms.Int32}, {Name: "d", Type: rdbms.Unsupported}}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Errorf("columns = %+v\nwant %+v", cols, wantCols)
	}
	want := append([]rdbms.Value{}, params...)
	want[1].Kind = rdbms.Int16 // an int2 column
	want = append(want, rdbms.Value{Kind: rdbms.Unsupported})
	if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
		t.Errorf("rows = %+v\nwant [%+v]", rows, want)
	}

	for _, c := range []struct {
		name, fn, address, statement string
		params                       []rdbms.Value
		at                           int
		want                         string
	}{
		{"missing table", "outbound-pg.query", url, "SELECT * FROM missing", nil, 4, `query-failed: ERROR: relation "missing" does not exist (SQLSTATE 42P01)`},
		{"syntax", "outbound-pg.execute", url, "SELEC", nil, 8, "query-failed: ERROR: syntax error"},
		{"unsigned", "outbound-pg.execute", url, "SELECT $1", []rdbms.Value{{Kind: rdbms.Uint8, Uint: 1}}, 8, "bad-parameter: parameter 1: Postgres does not support unsigned integers"},
		{"denied", "outbound-pg.query", "postgres://spin@127.0.0.1:1/spin", "SELECT 1", nil, 4, "connection-failed: address postgres://127.0.0.1:1 is not permitted"},
		{"wrong password", "outbound-pg.query", strings.Replace(url, servers.SQLPassword, "nope", 1), "SELECT 1", nil, 4, "connection-failed: "},
		{"mysql not allowed", "outbound-mysql.query", "mysql://" + srv.Addr() + "/spin", "SELECT 1", nil, 4, "connection-failed: address mysql://"},
	} {
		area := p.sqlCall(c.fn, c.address, c.statement, c.params)
		if got := p.sqlError(area, c.at); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %s, want %s…", c.name, got, c.want)
		}
	}
}

func TestOutboundMySQL(t *testing.T) {
	srv := servers.MariaDB(t)
	driver := mysql.New()
	t.Cleanup(func() { driver.Close() })
	allowed := networktest.AllowList(t, "mysql://"+srv.Addr())
	p := newWATInstance(t, &Component{ID: "mysql", MySQL: rdbms.NewAccess(driver, allowed)}, rdbmsWAT)
	url := srv.MySQLURL()
	area := p.sqlCall("outbound-mysql.execute", url, "CREATE TABLE t (i8 TINYINT, u64 BIGINT UNSIGNED, f32 FLOAT, s TEXT, bin BLOB, n INT)", nil)
	if area[0] != 0 {
		t.Fatalf("CREATE: %s", p.sqlError(area, 4))
	}
	params := []rdbms.Value{
		{Kind: rdbms.Int8, Int: -5},
		{Kind: rdbms.Uint64, Uint: math.MaxUint64},
		{Kind: rdbms.Floating32, Float: 0.5},
		{Kind: rdbms.Str, Str: "héllo"},
		{Kind: rdbms.Binary, Bytes: []byte{7}},
		{Kind: rdbms.Null},
	}
	if area := p.sqlCall("outbound-mysql.execute", url, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", params); area[0] != 0 {
		t.Fatalf("INSERT: %s", p.sqlError(area, 4))
	}
	cols, rows := p.rowSet(p.sqlCall("outbound-mysql.query", url, "SELECT * FROM t", nil))
	wantCols := []rdbms.Column{{Name: "i8", Type: rdbms.Int8}, {Name: "u64", Type: rdbms.Uint64}, {Name: "f32", Type: rdbms.Floating32},
		{Name: "s", Type: rdbms.Str}, {Name: "bin", Type: rdbms.Binary}, {Name: "n", Type: rdbms.Int32}}
	if !reflect.DeepEqual(cols, wantCols) || len(rows) != 1 || !reflect.DeepEqual(rows[0], params) {
		t.Errorf("SELECT = %+v %+v\nwant %+v [%+v]", cols, rows, wantCols, params)
	}
	for _, c := range []struct{ name, fn, address, statement, want string }{
		{"missing table", "outbound-mysql.query", url, "SELECT * FROM missing", "query-failed: Error 1146 (42S02): Table 'spin.missing' doesn't exist"},
		{"syntax", "outbound-mysql.execute", url, "SELEC", "query-failed: Error 1064 (42000)"},
		{"date column", "outbound-mysql.query", url, "SELECT DATE('2024-01-02') AS d", "value-conversion-failed: cannot convert value 2024-01-02 in column d (DATE)"},
		{"denied", "outbound-mysql.query", "mysql://spin@127.0.0.1:1/spin", "SELECT 1", "connection-failed: address mysql://127.0.0.1:1 is not permitted"},
		{"wrong password", "outbound-mysql.execute", strings.Replace(url, servers.SQLPassword, "nope", 1), "SELECT 1", "connection-failed: Error 1045 (28000): Access denied"},
	} {
		if got := p.sqlError(p.sqlCall(c.fn, c.address, c.statement, nil), 4); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %s, want %s…", c.name, got, c.want)
		}
	}
}
