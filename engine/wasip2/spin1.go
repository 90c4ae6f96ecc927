package wasip2

import (
	"errors"

	component "github.com/spinoci/spinoci/engine/internal/capi"
)

// The unversioned fermyon:spin interfaces of Spin 1.x modules componentized
// by `spin registry push`: the same providers as the @2.0.0 ones, with the
// Spin 1.x shapes and rules.

// spin1Config is fermyon:spin/config: get-config(key) -> result<string, error>
// with variant error { provider, invalid-key, invalid-schema, other } (all
// carrying a string).
func spin1Config() *iface {
	i := newIface("fermyon:spin/config")
	i.funcs["get-config"] = func(st *State, args []component.Val) ([]component.Val, error) {
		key, err := argString(args, 0)
		if err != nil {
			return nil, err
		}
		fail := func(c, msg string) ([]component.Val, error) {
			return one(component.Err(component.Variant{Case: c, Val: component.String(msg)}))
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
		return one(component.Ok(component.String(v)))
	}
	return i
}

// kv1Stores is a Store's table of unversioned key-value stores: handles
// count up from 0 without reuse; at most kvTableCapacity are open.
type kv1Stores struct {
	open map[uint32]KVStore
	next uint32
}

func kv1Error(c string) ([]component.Val, error) {
	return one(component.Err(component.Variant{Case: c}))
}

func kv1IOError(err error) ([]component.Val, error) {
	return one(component.Err(component.Variant{Case: "io", Val: component.String(err.Error())}))
}

// spin1KeyValue is fermyon:spin/key-value with store = u32 and variant
// error { store-table-full, no-such-store, access-denied, invalid-store,
// no-such-key, io(string) }.
func spin1KeyValue() *iface {
	i := newIface("fermyon:spin/key-value")
	i.funcs["open"] = func(st *State, args []component.Val) ([]component.Val, error) {
		name, err := argString(args, 0)
		if err != nil {
			return nil, err
		}
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
		return one(component.Ok(component.U32(h)))
	}
	// withStore resolves the store handle of args[0] and the key of args[1]
	// (when needKey).
	withStore := func(needKey bool, f func(st *State, s KVStore, key string, args []component.Val) ([]component.Val, error)) fn {
		return func(st *State, args []component.Val) ([]component.Val, error) {
			h, ok := args[0].(component.U32)
			if !ok {
				return nil, errors.New("argument 0: want u32")
			}
			var key string
			if needKey {
				k, err := argString(args, 1)
				if err != nil {
					return nil, err
				}
				key = k
			}
			s, ok := st.kv1.open[uint32(h)]
			if !ok {
				return kv1Error("invalid-store")
			}
			return f(st, s, key, args)
		}
	}
	i.funcs["get"] = withStore(true, func(st *State, s KVStore, key string, _ []component.Val) ([]component.Val, error) {
		v, found, err := s.Get(st.ctx, key)
		switch {
		case err != nil:
			return kv1IOError(err)
		case !found:
			return kv1Error("no-such-key")
		}
		return one(component.Ok(component.Bytes(v)))
	})
	i.funcs["set"] = withStore(true, func(st *State, s KVStore, key string, args []component.Val) ([]component.Val, error) {
		v, err := argBytes(args, 2)
		if err != nil {
			return nil, err
		}
		if err := s.Set(st.ctx, key, v); err != nil {
			return kv1IOError(err)
		}
		return one(component.Ok(nil))
	})
	i.funcs["delete"] = withStore(true, func(st *State, s KVStore, key string, _ []component.Val) ([]component.Val, error) {
		if err := s.Delete(st.ctx, key); err != nil {
			return kv1IOError(err)
		}
		return one(component.Ok(nil))
	})
	i.funcs["exists"] = withStore(true, func(st *State, s KVStore, key string, _ []component.Val) ([]component.Val, error) {
		ok, err := s.Exists(st.ctx, key)
		if err != nil {
			return kv1IOError(err)
		}
		return one(component.Ok(component.Bool(ok)))
	})
	i.funcs["get-keys"] = withStore(false, func(st *State, s KVStore, _ string, _ []component.Val) ([]component.Val, error) {
		keys, err := s.Keys(st.ctx)
		if err != nil {
			return kv1IOError(err)
		}
		out := make(component.List, len(keys))
		for n, k := range keys {
			out[n] = component.String(k)
		}
		return one(component.Ok(out))
	})
	i.funcs["close"] = func(st *State, args []component.Val) ([]component.Val, error) {
		if h, ok := args[0].(component.U32); ok {
			delete(st.kv1.open, uint32(h))
		}
		return nil, nil
	}
	return i
}
