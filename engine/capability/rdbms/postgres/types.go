package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
)

// dataType is the column type of a Postgres type.
func dataType(oid uint32) rdbms.Kind {
	switch oid {
	case pgtype.BoolOID:
		return rdbms.Boolean
	case pgtype.ByteaOID:
		return rdbms.Binary
	case pgtype.Float4OID:
		return rdbms.Floating32
	case pgtype.Float8OID:
		return rdbms.Floating64
	case pgtype.Int2OID:
		return rdbms.Int16
	case pgtype.Int4OID:
		return rdbms.Int32
	case pgtype.Int8OID:
		return rdbms.Int64
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID:
		return rdbms.Str
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		return rdbms.Datetime
	case pgtype.DateOID:
		return rdbms.Date
	case pgtype.TimeOID:
		return rdbms.Time
	}
	return rdbms.Unsupported
}

// fromPG converts a value pgx decoded from a column of type oid.
func fromPG(oid uint32, v any) (rdbms.Value, error) {
	kind := dataType(oid)
	if kind == rdbms.Unsupported {
		return rdbms.Value{Kind: rdbms.Unsupported}, nil
	}
	if v == nil {
		return rdbms.Value{Kind: rdbms.Null}, nil
	}
	out := rdbms.Value{Kind: kind}
	ok := true
	switch x := v.(type) {
	case bool:
		out.Bool = x
	case int16:
		out.Int = int64(x)
	case int32:
		out.Int = int64(x)
	case int64:
		out.Int = x
	case float32:
		out.Float = float64(x)
	case float64:
		out.Float = x
	case string:
		out.Str = x
	case []byte:
		out.Bytes = append([]byte{}, x...)
	case time.Time:
		if oid == pgtype.TimestamptzOID {
			x = x.UTC()
		}
		out.Civil = civil(x)
		if kind == rdbms.Date {
			out.Civil = rdbms.Civil{Year: out.Civil.Year, Month: out.Civil.Month, Day: out.Civil.Day}
		}
	case pgtype.Time:
		us := x.Microseconds
		out.Civil = rdbms.Civil{Hour: uint8(us / 3600e6), Minute: uint8(us / 60e6 % 60), Second: uint8(us / 1e6 % 60), Nanosecond: uint32(us%1e6) * 1000}
	default:
		ok = false
	}
	if !ok {
		return rdbms.Value{}, fmt.Errorf("cannot convert %v (%T) to a %s value", v, v, kind.Name())
	}
	return out, nil
}

func civil(t time.Time) rdbms.Civil {
	return rdbms.Civil{Year: int32(t.Year()), Month: uint8(t.Month()), Day: uint8(t.Day()),
		Hour: uint8(t.Hour()), Minute: uint8(t.Minute()), Second: uint8(t.Second()), Nanosecond: uint32(t.Nanosecond())}
}

// errUnsigned is the error of an unsigned parameter.
//
//lint:ignore ST1005 Spin's exact wording
var errUnsigned = errors.New("Postgres does not support unsigned integers")

// toArgs converts parameters to what pgx encodes.
func toArgs(params []rdbms.Value) ([]any, error) {
	args := make([]any, len(params))
	for i, p := range params {
		a, err := toArg(p)
		if err != nil {
			return nil, fmt.Errorf("parameter %d: %w", i+1, err)
		}
		args[i] = a
	}
	return args, nil
}

func toArg(p rdbms.Value) (any, error) {
	switch p.Kind {
	case rdbms.Boolean:
		return p.Bool, nil
	case rdbms.Int8:
		return int8(p.Int), nil
	case rdbms.Int16:
		return int16(p.Int), nil
	case rdbms.Int32:
		return int32(p.Int), nil
	case rdbms.Int64:
		return p.Int, nil
	case rdbms.Uint8, rdbms.Uint16, rdbms.Uint32, rdbms.Uint64:
		return nil, errUnsigned
	case rdbms.Floating32:
		return float32(p.Float), nil
	case rdbms.Floating64:
		return p.Float, nil
	case rdbms.Str:
		return p.Str, nil
	case rdbms.Binary:
		if p.Bytes == nil {
			return []byte{}, nil
		}
		return p.Bytes, nil
	case rdbms.Date:
		t, err := fromCivil(p.Civil, false)
		return pgtype.Date{Time: t, Valid: true}, err
	case rdbms.Time:
		c := p.Civil
		if c.Hour > 23 || c.Minute > 59 || c.Second > 59 || c.Nanosecond > 999_999_999 {
			return nil, fmt.Errorf("invalid time %02d:%02d:%02d.%09d", c.Hour, c.Minute, c.Second, c.Nanosecond)
		}
		us := (int64(c.Hour)*3600+int64(c.Minute)*60+int64(c.Second))*1e6 + int64(c.Nanosecond)/1000
		return pgtype.Time{Microseconds: us, Valid: true}, nil
	case rdbms.Datetime:
		t, err := fromCivil(p.Civil, true)
		return pgtype.Timestamp{Time: t, Valid: true}, err
	case rdbms.Timestamp:
		return pgtype.Timestamptz{Time: time.Unix(p.Int, 0).UTC(), Valid: true}, nil
	case rdbms.Null:
		return nil, nil
	}
	return nil, fmt.Errorf("%s is not a parameter type", p.Kind.Name())
}

// fromCivil checks a date (and time) and returns it as a UTC time.
func fromCivil(c rdbms.Civil, clock bool) (time.Time, error) {
	t := time.Date(int(c.Year), time.Month(c.Month), int(c.Day), int(c.Hour), int(c.Minute), int(c.Second), int(c.Nanosecond), time.UTC)
	if t.Year() != int(c.Year) || t.Month() != time.Month(c.Month) || t.Day() != int(c.Day) {
		return time.Time{}, fmt.Errorf("invalid date %d-%d-%d", c.Year, c.Month, c.Day)
	}
	if clock && (t.Hour() != int(c.Hour) || t.Minute() != int(c.Minute) || t.Second() != int(c.Second) || c.Nanosecond > 999_999_999) {
		return time.Time{}, fmt.Errorf("invalid time %02d:%02d:%02d.%09d", c.Hour, c.Minute, c.Second, c.Nanosecond)
	}
	return t, nil
}
