package mysql

import (
	"fmt"
	"math"
	"strconv"

	"github.com/spinoci/spinoci/engine/capability/rdbms"
)

// dataType is the column type of a MySQL type (as the driver names it).
func dataType(name string) rdbms.Kind {
	switch name {
	case "TINYINT":
		return rdbms.Int8
	case "UNSIGNED TINYINT":
		return rdbms.Uint8
	case "SMALLINT":
		return rdbms.Int16
	case "UNSIGNED SMALLINT":
		return rdbms.Uint16
	case "MEDIUMINT", "INT":
		return rdbms.Int32
	case "UNSIGNED MEDIUMINT", "UNSIGNED INT":
		return rdbms.Uint32
	case "BIGINT":
		return rdbms.Int64
	case "UNSIGNED BIGINT":
		return rdbms.Uint64
	case "FLOAT":
		return rdbms.Floating32
	case "DOUBLE":
		return rdbms.Floating64
	case "CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET":
		return rdbms.Str
	case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
		return rdbms.Binary
	}
	return rdbms.Unsupported
}

// bits is the size of an integer or float kind.
func bits(k rdbms.Kind) int {
	switch k {
	case rdbms.Int8, rdbms.Uint8:
		return 8
	case rdbms.Int16, rdbms.Uint16:
		return 16
	case rdbms.Int32, rdbms.Uint32, rdbms.Floating32:
		return 32
	}
	return 64
}

// fromMySQL converts a scanned cell of column col (of the driver's type
// typeName): text-protocol results are bytes, binary-protocol ones (with
// parameters) Go numbers.
func fromMySQL(col rdbms.Column, typeName string, cell any) (rdbms.Value, error) {
	if cell == nil {
		return rdbms.Value{Kind: rdbms.Null}, nil
	}
	text := func() string {
		if b, ok := cell.([]byte); ok {
			return string(b)
		}
		return fmt.Sprint(cell)
	}
	fail := func(err error) (rdbms.Value, error) {
		return rdbms.Value{}, rdbms.Errorf(rdbms.ValueConversionFailed, "cannot convert value %s in column %s (%s): %v",
			text(), col.Name, typeName, err)
	}
	out := rdbms.Value{Kind: col.Type}
	var err error
	switch col.Type {
	case rdbms.Int8, rdbms.Int16, rdbms.Int32, rdbms.Int64:
		if n, ok := cell.(int64); ok {
			out.Int = n
			if bits(col.Type) < 64 && (n < -1<<(bits(col.Type)-1) || n >= 1<<(bits(col.Type)-1)) {
				return fail(strconv.ErrRange)
			}
			break
		}
		out.Int, err = strconv.ParseInt(text(), 10, bits(col.Type))
	case rdbms.Uint8, rdbms.Uint16, rdbms.Uint32, rdbms.Uint64:
		switch n := cell.(type) {
		case int64:
			if n < 0 || (bits(col.Type) < 64 && n >= 1<<bits(col.Type)) {
				return fail(strconv.ErrRange)
			}
			out.Uint = uint64(n)
		case uint64:
			out.Uint = n
		default:
			out.Uint, err = strconv.ParseUint(text(), 10, bits(col.Type))
		}
	case rdbms.Floating32, rdbms.Floating64:
		switch f := cell.(type) {
		case float32:
			out.Float = float64(f)
		case float64:
			out.Float = f
			if col.Type == rdbms.Floating32 && math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0) {
				return fail(strconv.ErrRange)
			}
		default:
			out.Float, err = strconv.ParseFloat(text(), bits(col.Type))
		}
	case rdbms.Str:
		out.Str = text()
	case rdbms.Binary:
		b, ok := cell.([]byte)
		if !ok {
			b = []byte(text())
		}
		out.Bytes = append([]byte{}, b...)
	default:
		return fail(fmt.Errorf("the interface has no values of this type"))
	}
	if err != nil {
		return fail(fmt.Errorf("to %s: %w", col.Type.Name(), err))
	}
	return out, nil
}

// toArgs converts parameters to what the driver encodes. MySQL's
// interfaces have no date or time parameters.
func toArgs(params []rdbms.Value) ([]any, error) {
	args := make([]any, len(params))
	for i, p := range params {
		switch p.Kind {
		case rdbms.Boolean:
			args[i] = p.Bool
		case rdbms.Int8, rdbms.Int16, rdbms.Int32, rdbms.Int64:
			args[i] = p.Int
		case rdbms.Uint8, rdbms.Uint16, rdbms.Uint32, rdbms.Uint64:
			args[i] = p.Uint
		case rdbms.Floating32:
			args[i] = float32(p.Float)
		case rdbms.Floating64:
			args[i] = p.Float
		case rdbms.Str:
			args[i] = p.Str
		case rdbms.Binary:
			b := p.Bytes
			if b == nil {
				b = []byte{}
			}
			args[i] = b
		case rdbms.Null:
			args[i] = nil
		default:
			return nil, rdbms.Errorf(rdbms.BadParameter, "parameter %d: MySQL does not support %s parameters", i+1, p.Kind.Name())
		}
	}
	return args, nil
}
