package wasip2

import (
	"errors"
	"net/http"
	"strings"

	component "github.com/spinoci/spinoci/engine/internal/capi"
)

// fields is a wasi:http/types.fields: ordered name/value pairs, names
// compared case-insensitively.
type fields struct {
	list      []field
	immutable bool
}

type field struct {
	name  string
	value []byte
}

func fieldsFromHeader(h http.Header) *fields {
	f := &fields{}
	for name, values := range h {
		for _, v := range values {
			f.list = append(f.list, field{name: strings.ToLower(name), value: []byte(v)})
		}
	}
	return f
}

func (f *fields) toHeader(h http.Header) {
	for _, e := range f.list {
		h.Add(e.name, string(e.value))
	}
}

func (f *fields) get(name string) [][]byte {
	var out [][]byte
	for _, e := range f.list {
		if strings.EqualFold(e.name, name) {
			out = append(out, e.value)
		}
	}
	return out
}

func (f *fields) del(name string) {
	kept := f.list[:0]
	for _, e := range f.list {
		if !strings.EqualFold(e.name, name) {
			kept = append(kept, e)
		}
	}
	f.list = kept
}

func (f *fields) clone() *fields {
	return &fields{list: append([]field(nil), f.list...)}
}

// validFieldName reports whether name is an HTTP token.
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

func validFieldValue(v []byte) bool {
	for _, c := range v {
		if c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return true
}

func headerError(c string) component.Val {
	return component.Err(component.Variant{Case: c})
}

var errNotTuple = errors.New("want list<tuple<field-name, field-value>>")

func fieldsFuncs(i *iface) {
	i.types["fields"] = tyFields
	i.funcs["[constructor]fields"] = func(st *State, _ []component.Val) ([]component.Val, error) {
		return one(st.own(tyFields, &fields{}))
	}
	i.funcs["[static]fields.from-list"] = func(st *State, args []component.Val) ([]component.Val, error) {
		list, _ := args[0].(component.List)
		f := &fields{}
		for _, e := range list {
			t, ok := e.(component.Tuple)
			if !ok || len(t) != 2 {
				return nil, errNotTuple
			}
			name, err := argString(t, 0)
			if err != nil {
				return nil, err
			}
			value, err := argBytes(t, 1)
			if err != nil {
				return nil, err
			}
			if !validFieldName(name) || !validFieldValue(value) {
				return one(headerError("invalid-syntax"))
			}
			f.list = append(f.list, field{name: name, value: value})
		}
		return one(component.Ok(st.own(tyFields, f)))
	}
	i.funcs["[method]fields.get"] = func(st *State, args []component.Val) ([]component.Val, error) {
		f, err := get[*fields](st, args[0])
		if err != nil {
			return nil, err
		}
		name, err := argString(args, 1)
		if err != nil {
			return nil, err
		}
		out := component.List{}
		for _, v := range f.get(name) {
			out = append(out, component.Bytes(v))
		}
		return one(out)
	}
	i.funcs["[method]fields.has"] = func(st *State, args []component.Val) ([]component.Val, error) {
		f, err := get[*fields](st, args[0])
		if err != nil {
			return nil, err
		}
		name, err := argString(args, 1)
		if err != nil {
			return nil, err
		}
		return one(component.Bool(len(f.get(name)) > 0))
	}
	mutate := func(op string) fn {
		return func(st *State, args []component.Val) ([]component.Val, error) {
			f, err := get[*fields](st, args[0])
			if err != nil {
				return nil, err
			}
			name, err := argString(args, 1)
			if err != nil {
				return nil, err
			}
			if f.immutable {
				return one(headerError("immutable"))
			}
			if !validFieldName(name) {
				return one(headerError("invalid-syntax"))
			}
			var values [][]byte
			switch op {
			case "set":
				list, _ := args[2].(component.List)
				for n := range list {
					v, err := argBytes(list, n)
					if err != nil {
						return nil, err
					}
					values = append(values, v)
				}
			case "append":
				v, err := argBytes(args, 2)
				if err != nil {
					return nil, err
				}
				values = append(values, v)
			}
			for _, v := range values {
				if !validFieldValue(v) {
					return one(headerError("invalid-syntax"))
				}
			}
			if op != "append" {
				f.del(name)
			}
			for _, v := range values {
				f.list = append(f.list, field{name: name, value: v})
			}
			return one(component.Ok(nil))
		}
	}
	i.funcs["[method]fields.set"] = mutate("set")
	i.funcs["[method]fields.delete"] = mutate("delete")
	i.funcs["[method]fields.append"] = mutate("append")
	i.funcs["[method]fields.entries"] = func(st *State, args []component.Val) ([]component.Val, error) {
		f, err := get[*fields](st, args[0])
		if err != nil {
			return nil, err
		}
		out := make(component.List, len(f.list))
		for n, e := range f.list {
			out[n] = component.Tuple{component.String(e.name), component.Bytes(e.value)}
		}
		return one(out)
	}
	i.funcs["[method]fields.clone"] = func(st *State, args []component.Val) ([]component.Val, error) {
		f, err := get[*fields](st, args[0])
		if err != nil {
			return nil, err
		}
		return one(st.own(tyFields, f.clone()))
	}
}
