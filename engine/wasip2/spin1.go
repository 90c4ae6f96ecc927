package wasip2

import (
	"errors"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// The unversioned fermyon:spin interfaces of Spin 1.x modules componentized
// by `spin registry push`: the same providers as the @2.0.0 ones, with the
// Spin 1.x shapes and rules.

// spin1Config is fermyon:spin/config: get-config(key) -> result<string, error>
// with variant error { provider, invalid-key, invalid-schema, other } (all
// carrying a string).
func spin1Config() *iface {
	i := newIface("fermyon:spin/config")
	i.funcs["get-config"] = fn1(argString, func(st *State, key string) (results, error) {
		fail := func(c, msg string) (results, error) {
			return one(capi.Err(capi.Variant{Case: c, Val: capi.String(msg)}))
		}
		vars := st.host.cfg.Variables
		if vars == nil {
			return fail("other", "no config value for key "+key)
		}
		v, err := vars.Get(st.ctx, key)
		switch {
		case errors.Is(err, ErrInvalidVariableName):
			return fail("invalid-key", err.Error())
		case errors.Is(err, ErrUndefinedVariable):
			return fail("other", err.Error())
		case err != nil:
			return fail("provider", err.Error())
		}
		return one(capi.Ok(capi.String(v)))
	})
	return i
}

// kv1Stores is a Store's table of unversioned key-value stores: handles
// count up from 0 without reuse; at most kvTableCapacity are open.
type kv1Stores struct {
	open map[uint32]KVStore
	next uint32
}

func kv1Error(c string) (results, error) {
	return one(capi.Err(capi.Variant{Case: c}))
}

func kv1IOError(err error) (results, error) {
	return one(capi.Err(capi.Variant{Case: "io", Val: capi.String(err.Error())}))
}

// spin1KeyValue is fermyon:spin/key-value with store = u32 and variant
// error { store-table-full, no-such-store, access-denied, invalid-store,
// no-such-key, io(string) }.
func spin1KeyValue() *iface {
	i := newIface("fermyon:spin/key-value")
	i.funcs["open"] = fn1(argString, func(st *State, name string) (results, error) {
		kv := st.host.cfg.KeyValue
		if kv == nil {
			return kv1Error("access-denied")
		}
		if st.kv1.open == nil {
			st.kv1.open = map[uint32]KVStore{}
		}
		if len(st.kv1.open) >= kvTableCapacity {
			return kv1Error("store-table-full")
		}
		s, err := kv.Open(st.ctx, name)
		switch {
		case errors.Is(err, ErrAccessDenied):
			return kv1Error("access-denied")
		case errors.Is(err, ErrNoSuchStore):
			return kv1Error("no-such-store")
		case errors.Is(err, ErrStoreTableFull):
			return kv1Error("store-table-full")
		case err != nil:
			return kv1IOError(err)
		}
		h := st.kv1.next
		st.kv1.next++
		st.kv1.open[h] = s
		return one(capi.Ok(capi.U32(h)))
	})
	// store reads a store handle: the open store, or nil for a handle
	// not open, which is the invalid-store error (not a trap).
	store := func(st *State, v capi.Val) (KVStore, error) {
		h, err := argU32(st, v)
		return st.kv1.open[h], err
	}
	i.funcs["get"] = fn2(store, argString, func(st *State, s KVStore, key string) (results, error) {
		if s == nil {
			return kv1Error("invalid-store")
		}
		v, found, err := s.Get(st.ctx, key)
		switch {
		case err != nil:
			return kv1IOError(err)
		case !found:
			return kv1Error("no-such-key")
		}
		return one(capi.Ok(capi.Bytes(v)))
	})
	i.funcs["set"] = fn3(store, argString, argBytes, func(st *State, s KVStore, key string, v []byte) (results, error) {
		if s == nil {
			return kv1Error("invalid-store")
		}
		if err := s.Set(st.ctx, key, v); err != nil {
			return kv1IOError(err)
		}
		return one(capi.Ok(nil))
	})
	i.funcs["delete"] = fn2(store, argString, func(st *State, s KVStore, key string) (results, error) {
		if s == nil {
			return kv1Error("invalid-store")
		}
		if err := s.Delete(st.ctx, key); err != nil {
			return kv1IOError(err)
		}
		return one(capi.Ok(nil))
	})
	i.funcs["exists"] = fn2(store, argString, func(st *State, s KVStore, key string) (results, error) {
		if s == nil {
			return kv1Error("invalid-store")
		}
		ok, err := s.Exists(st.ctx, key)
		if err != nil {
			return kv1IOError(err)
		}
		return one(capi.Ok(capi.Bool(ok)))
	})
	i.funcs["get-keys"] = fn1(store, func(st *State, s KVStore) (results, error) {
		if s == nil {
			return kv1Error("invalid-store")
		}
		keys, err := s.Keys(st.ctx)
		if err != nil {
			return kv1IOError(err)
		}
		out := make(capi.List, len(keys))
		for n, k := range keys {
			out[n] = capi.String(k)
		}
		return one(capi.Ok(out))
	})
	i.funcs["close"] = fn1(argU32, func(st *State, h uint32) (results, error) {
		delete(st.kv1.open, h)
		return nil, nil
	})
	return i
}
