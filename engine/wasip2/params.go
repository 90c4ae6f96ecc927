package wasip2

import (
	"fmt"
	"strings"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Every host function declares the WIT type of each parameter with a reader;
// the fnN adapters read and check all of them before the body runs (see the
// package doc), so a body never sees a zero value standing in for an
// argument it did not get.

// reader reads a value of one WIT type into T. Resource readers look the
// handle up in the State's table; the others do not use st.
type reader[T any] func(st *State, v capi.Val) (T, error)

// argReader reads the arguments of one call, keeping the first error.
type argReader struct {
	st   *State
	args []capi.Val
	err  error
}

func newArgReader(st *State, args []capi.Val, want int) *argReader {
	p := &argReader{st: st, args: args}
	if len(args) != want {
		p.err = fmt.Errorf("got %d arguments, want %d", len(args), want)
	}
	return p
}

// arg reads parameter i with r, unless an earlier parameter failed.
func arg[T any](p *argReader, i int, r reader[T]) T {
	var zero T
	if p.err != nil {
		return zero
	}
	v, err := r(p.st, p.args[i])
	if err != nil {
		p.err = fmt.Errorf("parameter %d: %w", i, err)
		return zero
	}
	return v
}

// results is what a host function returns.
type results = []capi.Val

// fn0 adapts the body of a function without parameters.
func fn0(body func(st *State) (results, error)) fn {
	return func(st *State, args []capi.Val) (results, error) {
		if p := newArgReader(st, args, 0); p.err != nil {
			return nil, p.err
		}
		return body(st)
	}
}

// fn1 adapts the body of a function of one parameter, read by ra.
func fn1[A any](ra reader[A], body func(st *State, a A) (results, error)) fn {
	return func(st *State, args []capi.Val) (results, error) {
		p := newArgReader(st, args, 1)
		a := arg(p, 0, ra)
		if p.err != nil {
			return nil, p.err
		}
		return body(st, a)
	}
}

// fn2 adapts the body of a function of two parameters.
func fn2[A, B any](ra reader[A], rb reader[B], body func(st *State, a A, b B) (results, error)) fn {
	return func(st *State, args []capi.Val) (results, error) {
		p := newArgReader(st, args, 2)
		a, b := arg(p, 0, ra), arg(p, 1, rb)
		if p.err != nil {
			return nil, p.err
		}
		return body(st, a, b)
	}
}

// fn3 adapts the body of a function of three parameters.
func fn3[A, B, C any](ra reader[A], rb reader[B], rc reader[C], body func(st *State, a A, b B, c C) (results, error)) fn {
	return func(st *State, args []capi.Val) (results, error) {
		p := newArgReader(st, args, 3)
		a, b, c := arg(p, 0, ra), arg(p, 1, rb), arg(p, 2, rc)
		if p.err != nil {
			return nil, p.err
		}
		return body(st, a, b, c)
	}
}

// fn4 adapts the body of a function of four parameters.
func fn4[A, B, C, D any](ra reader[A], rb reader[B], rc reader[C], rd reader[D],
	body func(st *State, a A, b B, c C, d D) (results, error)) fn {
	return func(st *State, args []capi.Val) (results, error) {
		p := newArgReader(st, args, 4)
		a, b, c, d := arg(p, 0, ra), arg(p, 1, rb), arg(p, 2, rc), arg(p, 3, rd)
		if p.err != nil {
			return nil, p.err
		}
		return body(st, a, b, c, d)
	}
}

// fn5 adapts the body of a function of five parameters.
func fn5[A, B, C, D, E any](ra reader[A], rb reader[B], rc reader[C], rd reader[D], re reader[E],
	body func(st *State, a A, b B, c C, d D, e E) (results, error)) fn {
	return func(st *State, args []capi.Val) (results, error) {
		p := newArgReader(st, args, 5)
		a, b, c, d, e := arg(p, 0, ra), arg(p, 1, rb), arg(p, 2, rc), arg(p, 3, rd), arg(p, 4, re)
		if p.err != nil {
			return nil, p.err
		}
		return body(st, a, b, c, d, e)
	}
}

// ignoreArgs adapts the body of a function whose answer does not depend on
// its arguments (a refusal or a constant), so it reads none.
func ignoreArgs(body func(st *State) (results, error)) fn {
	return func(st *State, _ []capi.Val) (results, error) { return body(st) }
}

// mismatch is the error of a reader given a value of another type.
func mismatch(want string, got capi.Val) error {
	return fmt.Errorf("want %s, got %s", want, witType(got))
}

// witType names the WIT type of v as far as the value shows it.
func witType(v capi.Val) string {
	switch v := v.(type) {
	case nil:
		return "no value"
	case capi.Bool:
		return "bool"
	case capi.S8:
		return "s8"
	case capi.U8:
		return "u8"
	case capi.S16:
		return "s16"
	case capi.U16:
		return "u16"
	case capi.S32:
		return "s32"
	case capi.U32:
		return "u32"
	case capi.S64:
		return "s64"
	case capi.U64:
		return "u64"
	case capi.F32:
		return "f32"
	case capi.F64:
		return "f64"
	case capi.Char:
		return "char"
	case capi.String:
		return "string"
	case capi.Bytes:
		return "list<u8>"
	case capi.List:
		return "list"
	case capi.Record:
		return "record"
	case capi.Tuple:
		return "tuple"
	case capi.Enum:
		return "enum"
	case capi.Flags:
		return "flags"
	case capi.Variant:
		return "variant"
	case capi.Option:
		return "option"
	case capi.Result:
		return "result"
	case capi.Resource:
		return "resource"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// scalar reads a value of the component type V as a T.
func scalar[V capi.Val, T any](want string, conv func(V) T) reader[T] {
	return func(_ *State, v capi.Val) (T, error) {
		x, ok := v.(V)
		if !ok {
			var zero T
			return zero, mismatch(want, v)
		}
		return conv(x), nil
	}
}

var (
	argString = scalar("string", func(s capi.String) string { return string(s) })
	argU16    = scalar("u16", func(n capi.U16) uint16 { return uint16(n) })
	argU32    = scalar("u32", func(n capi.U32) uint32 { return uint32(n) })
	argU64    = scalar("u64", func(n capi.U64) uint64 { return uint64(n) })
	argS64    = scalar("s64", func(n capi.S64) int64 { return int64(n) })
)

// argBytes reads a list<u8> (an empty list lifts as a List).
func argBytes(_ *State, v capi.Val) ([]byte, error) {
	switch b := v.(type) {
	case capi.Bytes:
		return b, nil
	case capi.List:
		if len(b) == 0 {
			return nil, nil
		}
	}
	return nil, mismatch("list<u8>", v)
}

// argFlags reads a flags value: the names of the flags set.
func argFlags(_ *State, v capi.Val) (capi.Flags, error) {
	f, ok := v.(capi.Flags)
	if !ok {
		return nil, mismatch("flags", v)
	}
	return f, nil
}

// argResult reads a result; its payload is read by the body, which knows
// which case it has.
func argResult(_ *State, v capi.Val) (capi.Result, error) {
	r, ok := v.(capi.Result)
	if !ok {
		return capi.Result{}, mismatch("result", v)
	}
	return r, nil
}

// argList reads a list whose elements elem reads.
func argList[T any](elem reader[T]) reader[[]T] {
	return func(st *State, v capi.Val) ([]T, error) {
		l, ok := v.(capi.List)
		if !ok {
			return nil, mismatch("list", v)
		}
		out := make([]T, len(l))
		for n, e := range l {
			x, err := elem(st, e)
			if err != nil {
				return nil, fmt.Errorf("list element %d: %w", n, err)
			}
			out[n] = x
		}
		return out, nil
	}
}

// argOption reads an option whose payload some reads: nil for none.
func argOption[T any](some reader[T]) reader[*T] {
	return func(st *State, v capi.Val) (*T, error) {
		o, ok := v.(capi.Option)
		if !ok {
			return nil, mismatch("option", v)
		}
		if o.Val == nil {
			return nil, nil
		}
		x, err := some(st, o.Val)
		if err != nil {
			return nil, fmt.Errorf("option payload: %w", err)
		}
		return &x, nil
	}
}

// argVariantName reads a variant of cases without payloads besides
// other(string) (wasi:http's method and scheme): the case name, or other's
// payload. upper says whether the named cases are returned upper-cased.
func argVariantName(want string, upper bool) reader[string] {
	return func(_ *State, v capi.Val) (string, error) {
		c, ok := v.(capi.Variant)
		if !ok {
			return "", mismatch(want, v)
		}
		if c.Case != "other" {
			if upper {
				return strings.ToUpper(c.Case), nil
			}
			return c.Case, nil
		}
		s, ok := c.Val.(capi.String)
		if !ok {
			return "", fmt.Errorf("%s case other: %w", want, mismatch("string", c.Val))
		}
		return string(s), nil
	}
}

var (
	// argMethod reads a wasi:http/types.method as an HTTP method.
	argMethod = argVariantName("method", true)
	// argScheme reads a wasi:http/types.scheme: "HTTP", "HTTPS" or
	// other's payload.
	argScheme = argVariantName("scheme", false)
)

// argField reads a tuple<field-name, field-value>.
func argField(st *State, v capi.Val) (field, error) {
	t, ok := v.(capi.Tuple)
	if !ok || len(t) != 2 {
		return field{}, mismatch("tuple<field-name, field-value>", v)
	}
	name, err := argString(st, t[0])
	if err != nil {
		return field{}, fmt.Errorf("field-name: %w", err)
	}
	value, err := argBytes(st, t[1])
	if err != nil {
		return field{}, fmt.Errorf("field-value: %w", err)
	}
	return field{name: name, value: value}, nil
}

// borrowed reads a handle to a host resource, which stays in the table.
func borrowed[T any](st *State, v capi.Val) (T, error) {
	var zero T
	r, ok := v.(capi.Resource)
	if !ok {
		return zero, mismatch(fmt.Sprintf("a resource handle (%T)", zero), v)
	}
	item, live := st.table.items[r.Rep]
	if !live {
		return zero, fmt.Errorf("resource %d is not live, want a %T", r.Rep, zero)
	}
	x, ok := item.(T)
	if !ok {
		return zero, fmt.Errorf("resource %d is a %T, want a %T", r.Rep, item, zero)
	}
	return x, nil
}

// owned reads an owned handle passed to the host: the entry leaves the
// table (the guest no longer has it).
func owned[T any](st *State, v capi.Val) (T, error) {
	x, err := borrowed[T](st, v)
	if err == nil {
		delete(st.table.items, v.(capi.Resource).Rep)
	}
	return x, err
}

func one(v capi.Val) (results, error) { return results{v}, nil }
