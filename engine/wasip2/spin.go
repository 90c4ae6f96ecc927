package wasip2

import (
	"errors"

	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/capability/variables"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Errors a Variables or KeyValue provider wraps to select the WIT error
// case: the variables and key-value capabilities' error kinds.
var (
	ErrUndefinedVariable   = variables.ErrUndefined
	ErrInvalidVariableName = variables.ErrInvalidName
	ErrNoSuchStore         = keyvalue.ErrNoSuchStore
	ErrAccessDenied        = keyvalue.ErrAccessDenied
	ErrStoreTableFull      = keyvalue.ErrStoreTableFull
)

// kvTableCapacity is Spin's limit of open stores per instance.
const kvTableCapacity = keyvalue.TableCapacity

func spinVariables() *iface {
	i := newIface("fermyon:spin/variables" + spinVersion)
	i.funcs["get"] = fn1(argString, func(st *State, name string) (results, error) {
		vars := st.host.cfg.Variables
		if vars == nil {
			return one(capi.Err(capi.Variant{Case: "undefined", Val: capi.String("no variables: " + name)}))
		}
		v, err := vars.Get(st.ctx, name)
		if err != nil {
			c := "provider"
			switch {
			case errors.Is(err, ErrUndefinedVariable):
				c = "undefined"
			case errors.Is(err, ErrInvalidVariableName):
				c = "invalid-name"
			}
			return one(capi.Err(capi.Variant{Case: c, Val: capi.String(err.Error())}))
		}
		return one(capi.Ok(capi.String(v)))
	})
	return i
}

// kvHandle is an open fermyon:spin/key-value store.
type kvHandle struct{ store KVStore }

func kvError(err error) capi.Val {
	switch {
	case errors.Is(err, ErrNoSuchStore):
		return capi.Err(capi.Variant{Case: "no-such-store"})
	case errors.Is(err, ErrAccessDenied):
		return capi.Err(capi.Variant{Case: "access-denied"})
	case errors.Is(err, ErrStoreTableFull):
		return capi.Err(capi.Variant{Case: "store-table-full"})
	}
	return capi.Err(capi.Variant{Case: "other", Val: capi.String(err.Error())})
}

func spinKeyValue() *iface {
	i := newIface("fermyon:spin/key-value" + spinVersion)
	i.types["store"] = tyKVStore
	i.drops["store"] = func(st *State, _ uint32) { st.kvOpen-- }
	i.funcs["[static]store.open"] = fn1(argString, func(st *State, label string) (results, error) {
		kv := st.host.cfg.KeyValue
		if kv == nil {
			return one(kvError(ErrAccessDenied))
		}
		if st.kvOpen >= kvTableCapacity {
			return one(kvError(ErrStoreTableFull))
		}
		s, err := kv.Open(st.ctx, label)
		if err != nil {
			return one(kvError(err))
		}
		st.kvOpen++
		return one(capi.Ok(st.own(tyKVStore, &kvHandle{store: s})))
	})
	self := borrowed[*kvHandle]
	i.funcs["[method]store.get"] = fn2(self, argString, func(st *State, h *kvHandle, key string) (results, error) {
		v, found, err := h.store.Get(st.ctx, key)
		switch {
		case err != nil:
			return one(kvError(err))
		case !found:
			return one(capi.Ok(capi.None))
		}
		return one(capi.Ok(capi.Some(capi.Bytes(v))))
	})
	i.funcs["[method]store.set"] = fn3(self, argString, argBytes, func(st *State, h *kvHandle, key string, v []byte) (results, error) {
		if err := h.store.Set(st.ctx, key, v); err != nil {
			return one(kvError(err))
		}
		return one(capi.Ok(nil))
	})
	i.funcs["[method]store.delete"] = fn2(self, argString, func(st *State, h *kvHandle, key string) (results, error) {
		if err := h.store.Delete(st.ctx, key); err != nil {
			return one(kvError(err))
		}
		return one(capi.Ok(nil))
	})
	i.funcs["[method]store.exists"] = fn2(self, argString, func(st *State, h *kvHandle, key string) (results, error) {
		ok, err := h.store.Exists(st.ctx, key)
		if err != nil {
			return one(kvError(err))
		}
		return one(capi.Ok(capi.Bool(ok)))
	})
	i.funcs["[method]store.get-keys"] = fn1(self, func(st *State, h *kvHandle) (results, error) {
		keys, err := h.store.Keys(st.ctx)
		if err != nil {
			return one(kvError(err))
		}
		out := make(capi.List, len(keys))
		for n, k := range keys {
			out[n] = capi.String(k)
		}
		return one(capi.Ok(out))
	})
	return i
}
