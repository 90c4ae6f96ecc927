package rdbms

import "fmt"

// Kind is the type of a Value and of a Column.
type Kind uint8

// The kinds: those of fermyon:spin rdbms-types, then the dates and times of
// spin:postgres@3.0.0, then null. For a Column, Unsupported is the "other"
// data type.
const (
	Boolean Kind = iota
	Int8
	Int16
	Int32
	Int64
	Uint8
	Uint16
	Uint32
	Uint64
	Floating32
	Floating64
	Str
	Binary
	Date
	Time
	Datetime
	Timestamp
	Null
	Unsupported
)

// kindNames are the WIT case names of the kinds (db-value,
// parameter-value and db-data-type share them; Unsupported is "other" in
// db-data-type).
var kindNames = [...]string{
	"boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
	"floating32", "floating64", "str", "binary", "date", "time", "datetime", "timestamp",
	"db-null", "unsupported",
}

// Name is k's case name in the WIT variants.
func (k Kind) Name() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Civil is a date, a time of day or both, without a time zone (Date uses
// Year, Month, Day; Time uses Hour to Nanosecond; Datetime all).
type Civil struct {
	Year                 int32
	Month, Day           uint8
	Hour, Minute, Second uint8
	Nanosecond           uint32
}

// Value is a parameter or a value of a result row.
type Value struct {
	Kind Kind
	Bool bool
	// Int is the value of Int8 … Int64, and of Timestamp (seconds since
	// the Unix epoch).
	Int int64
	// Uint is the value of Uint8 … Uint64.
	Uint uint64
	// Float is the value of Floating32 and Floating64.
	Float float64
	Str   string
	Bytes []byte
	// Civil is the value of Date, Time and Datetime.
	Civil Civil
}

// Column is a result column: its name and data type.
type Column struct {
	Name string
	Type Kind
}

// RowSet is what a query returns.
type RowSet struct {
	Columns []Column
	Rows    [][]Value
}

// ABI is the kinds an interface version has, in the order of its variant
// cases: db-value is Values then db-null, unsupported; parameter-value is
// Values then db-null; db-data-type is Values then other.
type ABI struct {
	Values []Kind
}

// RDBMSTypes is the ABI of fermyon:spin rdbms-types (unversioned and
// @2.0.0) and of the Spin 1.x core imports.
func RDBMSTypes() ABI {
	return ABI{Values: []Kind{Boolean, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Floating32, Floating64, Str, Binary}}
}

// Postgres3 is the ABI of spin:postgres/postgres@3.0.0.
func Postgres3() ABI {
	return ABI{Values: []Kind{Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary, Date, Time, Datetime, Timestamp}}
}

// Case is the index of k among the ABI's variant cases, and whether the
// ABI has it. Null is the case after Values, Unsupported the one after it.
func (a ABI) Case(k Kind) (int, bool) {
	for i, v := range a.Values {
		if v == k {
			return i, true
		}
	}
	switch k {
	case Null:
		return len(a.Values), true
	case Unsupported:
		return len(a.Values) + 1, true
	}
	return 0, false
}

// Kind is the kind of case i of the ABI's parameter-value or db-value.
func (a ABI) Kind(i int) (Kind, bool) {
	switch {
	case i < len(a.Values):
		return a.Values[i], true
	case i == len(a.Values):
		return Null, true
	case i == len(a.Values)+1:
		return Unsupported, true
	}
	return 0, false
}

// Lower returns v as this ABI carries it: Unsupported when it lacks v's
// kind.
func (a ABI) Lower(v Value) Value {
	if _, ok := a.Case(v.Kind); !ok {
		return Value{Kind: Unsupported}
	}
	return v
}

// TypeCase is the index of column type k among the ABI's db-data-type
// cases: those of Values, then "other" for any other.
func (a ABI) TypeCase(k Kind) int {
	for i, v := range a.Values {
		if v == k {
			return i
		}
	}
	return len(a.Values)
}

// LowerType returns a column type as this ABI carries it: Unsupported
// ("other") when it lacks it.
func (a ABI) LowerType(k Kind) Kind {
	if _, ok := a.Case(k); !ok || k == Null {
		return Unsupported
	}
	return k
}
