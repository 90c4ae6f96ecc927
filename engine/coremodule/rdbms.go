package coremodule

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/spinoci/spinoci/engine/capability/rdbms"
)

// Spin 1.x outbound-pg and outbound-mysql: query and execute(address,
// statement, params) open a connection for the one call. Their values use
// rdbms-types (a variant of 16 bytes: tag at 0, payload at 8); their error
// variants (pg-error, mysql-error) are success, then the rdbms error
// kinds, each carrying a string.

// rdbmsValueSize is the size of a parameter-value or db-value.
const rdbmsValueSize = 16

// rdbmsColumnSize is the size of a column record: name at 0, data-type at 8.
const rdbmsColumnSize = 12

// rdbmsImport returns the implementation of outbound-pg.<name> (pg) or
// outbound-mysql.<name>.
func rdbmsImport(pg bool, name string) hostFunc {
	access := func(c *hostCall) *rdbms.Access {
		if pg {
			return c.state.comp.Postgres
		}
		return c.state.comp.MySQL
	}
	abi := rdbms.RDBMSTypes() // once per import, not per call
	switch name {
	case "query":
		return func(c *hostCall, a []int32) error {
			conn, params, stmt, err := c.openRDBMS(access(c), abi, a)
			var set *rdbms.RowSet
			if err == nil {
				defer conn.Close()
				set, err = conn.Query(c.state.ctx, stmt, params)
			}
			if err != nil {
				return c.writeRDBMSError(a[6], 4, err)
			}
			return c.writeRowSet(a[6], abi, set)
		}
	case "execute":
		return func(c *hostCall, a []int32) error {
			conn, params, stmt, err := c.openRDBMS(access(c), abi, a)
			var n uint64
			if err == nil {
				defer conn.Close()
				n, err = conn.Execute(c.state.ctx, stmt, params)
			}
			// outbound-pg's execute returns expected<u64, pg-error>
			// (payload at 8), outbound-mysql's expected<unit, mysql-error>
			// (payload at 4).
			at := 4
			if pg {
				at = 8
			}
			if err != nil {
				return c.writeRDBMSError(a[6], at, err)
			}
			area := make(retArea, 20)
			if pg {
				binary.LittleEndian.PutUint64(area[8:], n)
			}
			return c.writeRet(a[6], area)
		}
	}
	return nil
}

// openRDBMS reads (address, statement, params) and opens a connection.
// A malformed parameter list traps (a guest bug); database errors are
// returned as *rdbms.Error.
func (c *hostCall) openRDBMS(access *rdbms.Access, abi rdbms.ABI, a []int32) (rdbms.Conn, []rdbms.Value, string, error) {
	addr, err := c.readString(a[0], a[1])
	if err != nil {
		return nil, nil, "", err
	}
	stmt, err := c.readString(a[2], a[3])
	if err != nil {
		return nil, nil, "", err
	}
	if a[5] < 0 || a[5] > math.MaxInt32/rdbmsValueSize {
		return nil, nil, "", fmt.Errorf("invalid parameter count %d", a[5])
	}
	raw, err := c.readBytes(a[4], a[5]*rdbmsValueSize)
	if err != nil {
		return nil, nil, "", err
	}
	params := make([]rdbms.Value, a[5])
	for i := range params {
		b := raw[i*rdbmsValueSize:]
		kind, ok := abi.Kind(int(b[0]))
		if !ok || kind == rdbms.Unsupported {
			return nil, nil, "", fmt.Errorf("parameter %d: invalid parameter-value tag %d", i+1, b[0])
		}
		if params[i], err = c.readRDBMSValue(kind, b[8:16]); err != nil {
			return nil, nil, "", fmt.Errorf("parameter %d: %w", i+1, err)
		}
	}
	conn, err := access.Open(c.state.ctx, addr)
	return conn, params, stmt, err
}

// readRDBMSValue reads the 8-byte payload of a parameter-value of kind.
func (c *hostCall) readRDBMSValue(kind rdbms.Kind, p []byte) (rdbms.Value, error) {
	v := rdbms.Value{Kind: kind}
	u64 := binary.LittleEndian.Uint64(p)
	switch kind {
	case rdbms.Boolean:
		v.Bool = p[0] != 0
	case rdbms.Int8:
		v.Int = int64(int8(p[0]))
	case rdbms.Int16:
		v.Int = int64(int16(binary.LittleEndian.Uint16(p)))
	case rdbms.Int32:
		v.Int = int64(int32(binary.LittleEndian.Uint32(p)))
	case rdbms.Int64:
		v.Int = int64(u64)
	case rdbms.Uint8:
		v.Uint = uint64(p[0])
	case rdbms.Uint16:
		v.Uint = uint64(binary.LittleEndian.Uint16(p))
	case rdbms.Uint32:
		v.Uint = uint64(binary.LittleEndian.Uint32(p))
	case rdbms.Uint64:
		v.Uint = u64
	case rdbms.Floating32:
		v.Float = float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
	case rdbms.Floating64:
		v.Float = math.Float64frombits(u64)
	case rdbms.Str, rdbms.Binary:
		b, err := c.readBytes(int32(binary.LittleEndian.Uint32(p)), int32(binary.LittleEndian.Uint32(p[4:])))
		if err != nil {
			return v, err
		}
		if kind == rdbms.Str {
			v.Str = string(b)
		} else {
			v.Bytes = b
		}
	}
	return v, nil
}

// writeRDBMSError writes expected's error case: the error variant at
// offset at (tag: success is 0, so the kind + 1), its message after it.
func (c *hostCall) writeRDBMSError(ret int32, at int, err error) error {
	e := rdbms.AsError(err)
	ptr, perr := c.putBytes([]byte(e.Message))
	if perr != nil {
		return perr
	}
	area := make(retArea, 20)
	area.u8(0, 1)
	area.u8(at, uint8(e.Kind)+1)
	area.u32(at+4, ptr)
	area.u32(at+8, uint32(len(e.Message)))
	return c.writeRet(ret, area)
}

// writeRowSet writes expected's ok case with a row-set at 4: columns
// (ptr, len) then rows (ptr, len).
func (c *hostCall) writeRowSet(ret int32, abi rdbms.ABI, set *rdbms.RowSet) error {
	g, err := c.guest()
	if err != nil {
		return err
	}
	cols := make(retArea, rdbmsColumnSize*len(set.Columns))
	for i, col := range set.Columns {
		ptr, err := g.put([]byte(col.Name), 1)
		if err != nil {
			return err
		}
		typ := abi.TypeCase(col.Type)
		cols.u32(rdbmsColumnSize*i, ptr)
		cols.u32(rdbmsColumnSize*i+4, uint32(len(col.Name)))
		cols.u8(rdbmsColumnSize*i+8, uint8(typ))
	}
	colsPtr, err := g.put(cols, 4)
	if err != nil {
		return err
	}
	rowsPtr, err := putRows(g, set.Rows, rdbmsValueSize, func(out retArea, v rdbms.Value) error {
		return writeRDBMSValue(g, abi, out, v)
	})
	if err != nil {
		return err
	}
	area := make(retArea, 20)
	area.u32(4, colsPtr)
	area.u32(8, uint32(len(set.Columns)))
	area.u32(12, rowsPtr)
	area.u32(16, uint32(len(set.Rows)))
	return c.writeRet(ret, area)
}

// putRows puts a list of rows, each a list of values of size bytes
// (align 8) that write encodes, into guest memory and returns the list's
// pointer: the values of each row, then the list of (ptr, len) (align 4).
func putRows[V any](g *Guest, rows [][]V, size int, write func(out retArea, v V) error) (uint32, error) {
	list := make(retArea, 8*len(rows))
	for i, row := range rows {
		vals := make(retArea, size*len(row))
		for j, v := range row {
			if err := write(vals[j*size:], v); err != nil {
				return 0, err
			}
		}
		ptr, err := g.put(vals, 8)
		if err != nil {
			return 0, err
		}
		list.u32(8*i, ptr)
		list.u32(8*i+4, uint32(len(row)))
	}
	return g.put(list, 4)
}

// writeRDBMSValue writes v as a db-value into out (16 bytes), putting
// strings and bytes into guest memory.
func writeRDBMSValue(g *Guest, abi rdbms.ABI, out retArea, v rdbms.Value) error {
	v = abi.Lower(v)
	tag, _ := abi.Case(v.Kind)
	out.u8(0, uint8(tag))
	p := out[8:16]
	switch v.Kind {
	case rdbms.Boolean:
		if v.Bool {
			p[0] = 1
		}
	case rdbms.Int8, rdbms.Int16, rdbms.Int32, rdbms.Int64:
		binary.LittleEndian.PutUint64(p, uint64(v.Int)) // little-endian: the low bytes first
	case rdbms.Uint8, rdbms.Uint16, rdbms.Uint32, rdbms.Uint64:
		binary.LittleEndian.PutUint64(p, v.Uint)
	case rdbms.Floating32:
		binary.LittleEndian.PutUint32(p, math.Float32bits(float32(v.Float)))
	case rdbms.Floating64:
		binary.LittleEndian.PutUint64(p, math.Float64bits(v.Float))
	case rdbms.Str, rdbms.Binary:
		b := v.Bytes
		if v.Kind == rdbms.Str {
			b = []byte(v.Str)
		}
		ptr, err := g.put(b, 1)
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(p, ptr)
		binary.LittleEndian.PutUint32(p[4:], uint32(len(b)))
	}
	return nil
}
