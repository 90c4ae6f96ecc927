package wasip2

import (
	"context"
	"fmt"

	"github.com/spinoci/spinoci/engine/capability/rdbms"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// RDBMS opens connections to one kind of database, checking the address
// against the component's allow-list (the rdbms capability:
// *rdbms.Access). Errors are *rdbms.Error.
type RDBMS interface {
	Open(ctx context.Context, address string) (rdbms.Conn, error)
}

// sqlConnection is an open Postgres or MySQL connection resource.
type sqlConnection struct{ conn rdbms.Conn }

func (c *sqlConnection) close() { c.conn.Close() }

// rdbmsIface describes one relational database interface.
type rdbmsIface struct {
	name string
	abi  rdbms.ABI
	// postgres: the Config's Postgres, else its MySQL.
	postgres bool
	// countRows: execute returns the rows affected (u64), else nothing.
	countRows bool
	// v1: the unversioned interface of Spin 1.x (functions take the
	// address; error cases are success, …, other-error).
	v1 bool
	ty uint32 // the connection resource's type
}

// rdbmsInterfaces are fermyon:spin/postgres and mysql (@2.0.0 and
// unversioned) and spin:postgres/postgres@3.0.0.
func rdbmsInterfaces() []*iface {
	var out []*iface
	for _, r := range []rdbmsIface{
		{name: "fermyon:spin/postgres" + spinVersion, abi: rdbms.RDBMSTypes(), postgres: true, countRows: true, ty: tyPostgresConnection},
		{name: "fermyon:spin/mysql" + spinVersion, abi: rdbms.RDBMSTypes(), ty: tyMySQLConnection},
		{name: "spin:postgres/postgres@3.0.0", abi: rdbms.Postgres3(), postgres: true, countRows: true, ty: tyPostgres3Connection},
		{name: "fermyon:spin/postgres", abi: rdbms.RDBMSTypes(), postgres: true, countRows: true, v1: true},
		{name: "fermyon:spin/mysql", abi: rdbms.RDBMSTypes(), v1: true},
	} {
		out = append(out, r.define())
	}
	return out
}

func (r rdbmsIface) backend(st *State) RDBMS {
	if r.postgres {
		return st.host.cfg.Postgres
	}
	return st.host.cfg.MySQL
}

// open opens a connection, counting it against the instance's bound.
func (r rdbmsIface) open(st *State, address string) (rdbms.Conn, error) {
	b := r.backend(st)
	if b == nil {
		return nil, rdbms.Errorf(rdbms.ConnectionFailed, "address %s is not permitted", address)
	}
	if st.rdbmsOpen >= rdbms.InstanceConnections {
		return nil, rdbms.Errorf(rdbms.ConnectionFailed, "too many connections")
	}
	c, err := b.Open(st.ctx, address)
	if err == nil {
		st.rdbmsOpen++
	}
	return c, err
}

// fail is the error case of a result: the error variant of err.
func (r rdbmsIface) fail(err error) (results, error) {
	e := rdbms.AsError(err)
	name := e.Kind.Name()
	if r.v1 && e.Kind == rdbms.Other {
		name = "other-error"
	}
	return one(capi.Err(capi.Variant{Case: name, Val: capi.String(e.Message)}))
}

func (r rdbmsIface) query(st *State, c rdbms.Conn, stmt string, params []rdbms.Value) (results, error) {
	set, err := c.Query(st.ctx, stmt, params)
	if err != nil {
		return r.fail(err)
	}
	return one(capi.Ok(r.rowSet(set)))
}

func (r rdbmsIface) execute(st *State, c rdbms.Conn, stmt string, params []rdbms.Value) (results, error) {
	n, err := c.Execute(st.ctx, stmt, params)
	switch {
	case err != nil:
		return r.fail(err)
	case r.countRows:
		return one(capi.Ok(capi.U64(n)))
	}
	return one(capi.Ok(nil))
}

func (r rdbmsIface) define() *iface {
	i := newIface(r.name)
	params := argList(r.argValue)
	if r.v1 {
		// Each call opens a connection for itself.
		call := func(run func(rdbmsIface, *State, rdbms.Conn, string, []rdbms.Value) (results, error)) fn {
			return fn3(argString, argString, params, func(st *State, address, stmt string, ps []rdbms.Value) (results, error) {
				c, err := r.open(st, address)
				if err != nil {
					return r.fail(err)
				}
				defer func() {
					c.Close()
					st.rdbmsOpen--
				}()
				return run(r, st, c, stmt, ps)
			})
		}
		i.funcs["query"] = call(rdbmsIface.query)
		i.funcs["execute"] = call(rdbmsIface.execute)
		return i
	}
	i.types["connection"] = r.ty
	i.drops["connection"] = func(st *State, _ uint32) { st.rdbmsOpen-- }
	i.funcs["[static]connection.open"] = fn1(argString, func(st *State, address string) (results, error) {
		c, err := r.open(st, address)
		if err != nil {
			return r.fail(err)
		}
		return one(capi.Ok(st.own(r.ty, &sqlConnection{conn: c})))
	})
	self := borrowed[*sqlConnection]
	i.funcs["[method]connection.query"] = fn3(self, argString, params, func(st *State, c *sqlConnection, stmt string, ps []rdbms.Value) (results, error) {
		return r.query(st, c.conn, stmt, ps)
	})
	i.funcs["[method]connection.execute"] = fn3(self, argString, params, func(st *State, c *sqlConnection, stmt string, ps []rdbms.Value) (results, error) {
		return r.execute(st, c.conn, stmt, ps)
	})
	return i
}

// argValue reads a parameter-value of the interface.
func (r rdbmsIface) argValue(_ *State, v capi.Val) (rdbms.Value, error) {
	c, ok := v.(capi.Variant)
	if !ok {
		return rdbms.Value{}, mismatch("parameter-value", v)
	}
	kind, ok := r.caseKind(c.Case)
	if !ok {
		return rdbms.Value{}, fmt.Errorf("parameter-value: unknown case %q", c.Case)
	}
	out := rdbms.Value{Kind: kind}
	ok = true
	switch x := c.Val.(type) {
	case nil:
		ok = kind == rdbms.Null
	case capi.Bool:
		out.Bool, ok = bool(x), kind == rdbms.Boolean
	case capi.S8:
		out.Int, ok = int64(x), kind == rdbms.Int8
	case capi.S16:
		out.Int, ok = int64(x), kind == rdbms.Int16
	case capi.S32:
		out.Int, ok = int64(x), kind == rdbms.Int32
	case capi.S64:
		out.Int, ok = int64(x), kind == rdbms.Int64 || kind == rdbms.Timestamp
	case capi.U8:
		out.Uint, ok = uint64(x), kind == rdbms.Uint8
	case capi.U16:
		out.Uint, ok = uint64(x), kind == rdbms.Uint16
	case capi.U32:
		out.Uint, ok = uint64(x), kind == rdbms.Uint32
	case capi.U64:
		out.Uint, ok = uint64(x), kind == rdbms.Uint64
	case capi.F32:
		out.Float, ok = float64(x), kind == rdbms.Floating32
	case capi.F64:
		out.Float, ok = float64(x), kind == rdbms.Floating64
	case capi.String:
		out.Str, ok = string(x), kind == rdbms.Str
	case capi.Bytes, capi.List:
		b, err := argBytes(nil, x)
		out.Bytes, ok = b, err == nil && kind == rdbms.Binary
	case capi.Tuple:
		out.Civil, ok = civilOf(kind, x)
	default:
		ok = false
	}
	if !ok {
		return rdbms.Value{}, fmt.Errorf("parameter-value case %q: unexpected payload %s", c.Case, witType(c.Val))
	}
	return out, nil
}

// caseKind is the kind of a parameter-value case of the interface.
func (r rdbmsIface) caseKind(name string) (rdbms.Kind, bool) {
	for i := 0; ; i++ {
		k, ok := r.abi.Kind(i)
		if !ok || k == rdbms.Unsupported {
			return 0, false
		}
		if k.Name() == name {
			return k, true
		}
	}
}

// civilOf reads the tuple of a date (s32, u8, u8), a time (u8, u8, u8,
// u32) or a datetime (s32, u8, u8, u8, u8, u8, u32).
func civilOf(kind rdbms.Kind, t capi.Tuple) (rdbms.Civil, bool) {
	u8s := func(vals capi.Tuple) ([]uint8, bool) {
		out := make([]uint8, len(vals))
		for i, v := range vals {
			n, ok := v.(capi.U8)
			if !ok {
				return nil, false
			}
			out[i] = uint8(n)
		}
		return out, true
	}
	var c rdbms.Civil
	// clock reads (hour, minute, second, nanosecond).
	clock := func(t capi.Tuple) bool {
		hms, ok1 := u8s(t[:3])
		ns, ok2 := t[3].(capi.U32)
		if ok1 && ok2 {
			c.Hour, c.Minute, c.Second, c.Nanosecond = hms[0], hms[1], hms[2], uint32(ns)
		}
		return ok1 && ok2
	}
	switch {
	case kind == rdbms.Time && len(t) == 4:
		return c, clock(t)
	case kind == rdbms.Date && len(t) == 3, kind == rdbms.Datetime && len(t) == 7:
		y, ok1 := t[0].(capi.S32)
		parts, ok2 := u8s(t[1:3])
		if !ok1 || !ok2 {
			return c, false
		}
		c.Year, c.Month, c.Day = int32(y), parts[0], parts[1]
		if kind == rdbms.Date {
			return c, true
		}
		return c, clock(t[3:])
	}
	return c, false
}

// rowSet is the row-set record of set.
func (r rdbmsIface) rowSet(set *rdbms.RowSet) capi.Record {
	cols := make(capi.List, len(set.Columns))
	for n, c := range set.Columns {
		typ := r.abi.LowerType(c.Type).Name()
		if typ == rdbms.Unsupported.Name() {
			typ = "other"
		}
		cols[n] = capi.Record{{Name: "name", Val: capi.String(c.Name)}, {Name: "data-type", Val: capi.Enum(typ)}}
	}
	rows := make(capi.List, len(set.Rows))
	for n, row := range set.Rows {
		vals := make(capi.List, len(row))
		for m, v := range row {
			vals[m] = r.dbValue(v)
		}
		rows[n] = vals
	}
	return capi.Record{{Name: "columns", Val: cols}, {Name: "rows", Val: rows}}
}

// dbValue is the db-value of v, lowered to the interface.
func (r rdbmsIface) dbValue(v rdbms.Value) capi.Val {
	v = r.abi.Lower(v)
	c := capi.Variant{Case: v.Kind.Name()}
	switch v.Kind {
	case rdbms.Boolean:
		c.Val = capi.Bool(v.Bool)
	case rdbms.Int8:
		c.Val = capi.S8(v.Int)
	case rdbms.Int16:
		c.Val = capi.S16(v.Int)
	case rdbms.Int32:
		c.Val = capi.S32(v.Int)
	case rdbms.Int64, rdbms.Timestamp:
		c.Val = capi.S64(v.Int)
	case rdbms.Uint8:
		c.Val = capi.U8(v.Uint)
	case rdbms.Uint16:
		c.Val = capi.U16(v.Uint)
	case rdbms.Uint32:
		c.Val = capi.U32(v.Uint)
	case rdbms.Uint64:
		c.Val = capi.U64(v.Uint)
	case rdbms.Floating32:
		c.Val = capi.F32(v.Float)
	case rdbms.Floating64:
		c.Val = capi.F64(v.Float)
	case rdbms.Str:
		c.Val = capi.String(v.Str)
	case rdbms.Binary:
		c.Val = capi.Bytes(v.Bytes)
	case rdbms.Date:
		c.Val = capi.Tuple{capi.S32(v.Civil.Year), capi.U8(v.Civil.Month), capi.U8(v.Civil.Day)}
	case rdbms.Time:
		c.Val = capi.Tuple{capi.U8(v.Civil.Hour), capi.U8(v.Civil.Minute), capi.U8(v.Civil.Second), capi.U32(v.Civil.Nanosecond)}
	case rdbms.Datetime:
		x := v.Civil
		c.Val = capi.Tuple{capi.S32(x.Year), capi.U8(x.Month), capi.U8(x.Day), capi.U8(x.Hour), capi.U8(x.Minute), capi.U8(x.Second), capi.U32(x.Nanosecond)}
	}
	return c
}
