package wasip2

import (
	"net/http"
	"strings"

	"github.com/spinoci/spinoci/engine/internal/capi"
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

func headerError(c string) capi.Val {
	return capi.Err(capi.Variant{Case: c})
}

func fieldsFuncs(i *iface) {
	i.types["fields"] = tyFields
	self := borrowed[*fields]
	i.funcs["[constructor]fields"] = fn0(func(st *State) (results, error) {
		return one(st.own(tyFields, &fields{}))
	})
	i.funcs["[static]fields.from-list"] = fn1(argList(argField), func(st *State, entries []field) (results, error) {
		for _, e := range entries {
			if !validFieldName(e.name) || !validFieldValue(e.value) {
				return one(headerError("invalid-syntax"))
			}
		}
		return one(capi.Ok(st.own(tyFields, &fields{list: entries})))
	})
	i.funcs["[method]fields.get"] = fn2(self, argString, func(_ *State, f *fields, name string) (results, error) {
		out := capi.List{}
		for _, v := range f.get(name) {
			out = append(out, capi.Bytes(v))
		}
		return one(out)
	})
	i.funcs["[method]fields.has"] = fn2(self, argString, func(_ *State, f *fields, name string) (results, error) {
		return one(capi.Bool(len(f.get(name)) > 0))
	})
	i.funcs["[method]fields.set"] = fn3(self, argString, argList(argBytes), func(_ *State, f *fields, name string, values [][]byte) (results, error) {
		return one(f.mutate(name, values, true))
	})
	i.funcs["[method]fields.delete"] = fn2(self, argString, func(_ *State, f *fields, name string) (results, error) {
		return one(f.mutate(name, nil, true))
	})
	i.funcs["[method]fields.append"] = fn3(self, argString, argBytes, func(_ *State, f *fields, name string, value []byte) (results, error) {
		return one(f.mutate(name, [][]byte{value}, false))
	})
	i.funcs["[method]fields.entries"] = fn1(self, func(_ *State, f *fields) (results, error) {
		out := make(capi.List, len(f.list))
		for n, e := range f.list {
			out[n] = capi.Tuple{capi.String(e.name), capi.Bytes(e.value)}
		}
		return one(out)
	})
	i.funcs["[method]fields.clone"] = fn1(self, func(st *State, f *fields) (results, error) {
		return one(st.own(tyFields, f.clone()))
	})
}

// mutate adds values under name, first removing the values name had when
// replace is set (set and delete; append keeps them). It returns the
// result<_, header-error> of the call.
func (f *fields) mutate(name string, values [][]byte, replace bool) capi.Val {
	if f.immutable {
		return headerError("immutable")
	}
	if !validFieldName(name) {
		return headerError("invalid-syntax")
	}
	for _, v := range values {
		if !validFieldValue(v) {
			return headerError("invalid-syntax")
		}
	}
	if replace {
		f.del(name)
	}
	for _, v := range values {
		f.list = append(f.list, field{name: name, value: v})
	}
	return capi.Ok(nil)
}
