package coremodule

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/spinoci/spinoci/engine/capability/sqlite"
)

// sqlite error variant tags (Spin 1.x sqlite.wit).
const (
	sqlErrNoSuchDatabase    = 0
	sqlErrAccessDenied      = 1
	sqlErrInvalidConnection = 2
	sqlErrDatabaseFull      = 3
	sqlErrIO                = 4
)

// sqlValueSize is the size of a value variant in memory: tag at 0, the
// 8-aligned payload at 8.
const sqlValueSize = 16

// sqlHandles is an instance's table of open connections.
type sqlHandles = handleTable[*sqlite.Database]

func sqlErrorTag(err error) uint8 {
	switch {
	case errors.Is(err, sqlite.ErrNoSuchDatabase):
		return sqlErrNoSuchDatabase
	case errors.Is(err, sqlite.ErrAccessDenied):
		return sqlErrAccessDenied
	case errors.Is(err, sqlite.ErrInvalidConnection):
		return sqlErrInvalidConnection
	case errors.Is(err, sqlite.ErrDatabaseFull):
		return sqlErrDatabaseFull
	}
	return sqlErrIO
}

// sqliteImport returns the implementation of sqlite.<name>.
func sqliteImport(name string) hostFunc {
	switch name {
	case "open":
		return sqliteOpen
	case "execute":
		return sqliteExecute
	case "close":
		return func(c *hostCall, a []int32) error {
			delete(c.state.sql.open, uint32(a[0]))
			return nil
		}
	}
	return nil
}

// sqlResult writes expected<T, error> into a 20-byte return area: ok with
// fill writing the payload at 4, or the error variant of err at 4 (io with
// its message at 8).
func (c *hostCall) sqlResult(ret int32, err error, fill func(area retArea) error) error {
	if err != nil {
		tag := sqlErrorTag(err)
		return c.writeVariantResult(ret, 20, tag, tag == sqlErrIO, err.Error(), true, nil)
	}
	return c.writeVariantResult(ret, 20, 0, false, "", false, fill)
}

// open(name_ptr, name_len, ret) → connection.
func sqliteOpen(c *hostCall, a []int32) error {
	name, err := c.readString(a[0], a[1])
	if err != nil {
		return err
	}
	var handle uint32
	db, err := c.state.comp.SQLite.Open(c.state.ctx, name)
	if err == nil {
		handle, err = c.state.sql.add(db, sqlite.TableCapacity, fmt.Errorf("too many open connections (%d)", sqlite.TableCapacity))
	}
	return c.sqlResult(a[2], err, func(area retArea) error {
		area.u32(4, handle)
		return nil
	})
}

// execute(conn, stmt_ptr, stmt_len, params_ptr, params_len, ret) →
// query-result {columns: list<string>, rows: list<{values: list<value>}>}.
func sqliteExecute(c *hostCall, a []int32) error {
	stmt, err := c.readString(a[1], a[2])
	if err != nil {
		return err
	}
	raw, err := c.readBytes(a[3], a[4]*sqlValueSize)
	if err != nil {
		return err
	}
	params := make([]sqlite.Value, a[4])
	for i := range params {
		if params[i], err = c.readSQLValue(raw[i*sqlValueSize:]); err != nil {
			return fmt.Errorf("parameter %d: %w", i+1, err)
		}
	}
	var res *sqlite.QueryResult
	db, ok := c.state.sql.open[uint32(a[0])]
	if !ok {
		err = sqlite.ErrInvalidConnection
	} else {
		res, err = db.Execute(c.state.ctx, stmt, params)
	}
	return c.sqlResult(a[5], err, func(area retArea) error {
		g, err := c.guest()
		if err != nil {
			return err
		}
		cols := make(retArea, 8*len(res.Columns))
		for i, name := range res.Columns {
			ptr, err := g.put([]byte(name), 1)
			if err != nil {
				return err
			}
			cols.u32(8*i, ptr)
			cols.u32(8*i+4, uint32(len(name)))
		}
		colsPtr, err := g.put(cols, 4)
		if err != nil {
			return err
		}
		rowsPtr, err := putRows(g, res.Rows, sqlValueSize, func(out retArea, v sqlite.Value) error {
			return c.writeSQLValue(g, out, v)
		})
		if err != nil {
			return err
		}
		area.u32(4, colsPtr)
		area.u32(8, uint32(len(res.Columns)))
		area.u32(12, rowsPtr)
		area.u32(16, uint32(len(res.Rows)))
		return nil
	})
}

// readSQLValue reads one value variant (16 bytes).
func (c *hostCall) readSQLValue(b []byte) (sqlite.Value, error) {
	payload := binary.LittleEndian.Uint64(b[8:])
	ptr, n := int32(binary.LittleEndian.Uint32(b[8:])), int32(binary.LittleEndian.Uint32(b[12:]))
	switch sqlite.Kind(b[0]) {
	case sqlite.Integer:
		return sqlite.Value{Kind: sqlite.Integer, Integer: int64(payload)}, nil
	case sqlite.Real:
		return sqlite.Value{Kind: sqlite.Real, Real: math.Float64frombits(payload)}, nil
	case sqlite.Text:
		s, err := c.readString(ptr, n)
		return sqlite.Value{Kind: sqlite.Text, Text: s}, err
	case sqlite.Blob:
		bs, err := c.readBytes(ptr, n)
		return sqlite.Value{Kind: sqlite.Blob, Blob: bs}, err
	case sqlite.Null:
		return sqlite.Value{Kind: sqlite.Null}, nil
	}
	return sqlite.Value{}, fmt.Errorf("invalid value tag %d", b[0])
}

// writeSQLValue writes v as a value variant into out (16 bytes), putting
// text and blobs into guest memory.
func (c *hostCall) writeSQLValue(g *Guest, out retArea, v sqlite.Value) error {
	out.u8(0, uint8(v.Kind))
	switch v.Kind {
	case sqlite.Integer:
		binary.LittleEndian.PutUint64(out[8:], uint64(v.Integer))
	case sqlite.Real:
		binary.LittleEndian.PutUint64(out[8:], math.Float64bits(v.Real))
	case sqlite.Text, sqlite.Blob:
		b := v.Blob
		if v.Kind == sqlite.Text {
			b = []byte(v.Text)
		}
		ptr, err := g.put(b, 1)
		if err != nil {
			return err
		}
		out.u32(8, ptr)
		out.u32(12, uint32(len(b)))
	}
	return nil
}
