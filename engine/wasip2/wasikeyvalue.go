package wasip2

import (
	"errors"

	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// wasi:keyvalue@0.2.0-draft2 over the component's key-value stores: a
// bucket is the store of the label given to open, with the same access
// rule as fermyon:spin/key-value.
const wasiKVVersion = "@0.2.0-draft2"

// kvBucket is an open wasi:keyvalue bucket.
type kvBucket struct{ store KVStore }

// kvCas is a wasi:keyvalue/atomics cas: the value (or its absence) seen
// when it was made.
type kvCas struct {
	bucket *kvBucket
	key    string
	value  []byte
	found  bool
}

func wasiKVError(err error) capi.Result {
	switch {
	case errors.Is(err, ErrNoSuchStore):
		return capi.Err(capi.Variant{Case: "no-such-store"})
	case errors.Is(err, ErrAccessDenied):
		return capi.Err(capi.Variant{Case: "access-denied"})
	}
	return capi.Err(capi.Variant{Case: "other", Val: capi.String(err.Error())})
}

func optionalBytes(v []byte, found bool) capi.Option {
	if !found {
		return capi.None
	}
	return capi.Some(capi.Bytes(v))
}

// atomicStore returns the store's atomic operations.
func atomicStore(s KVStore) (keyvalue.Atomic, error) {
	a, ok := s.(keyvalue.Atomic)
	if !ok {
		return nil, errors.New("this store has no atomic operations")
	}
	return a, nil
}

func wasiKVStore() *iface {
	i := newIface("wasi:keyvalue/store" + wasiKVVersion)
	i.types["bucket"] = tyKVBucket
	i.funcs["open"] = fn1(argString, func(st *State, label string) (results, error) {
		kv := st.host.cfg.KeyValue
		if kv == nil {
			return one(wasiKVError(ErrAccessDenied))
		}
		s, err := kv.Open(st.ctx, label)
		if err != nil {
			return one(wasiKVError(err))
		}
		return one(capi.Ok(st.own(tyKVBucket, &kvBucket{store: s})))
	})
	self := borrowed[*kvBucket]
	i.funcs["[method]bucket.get"] = fn2(self, argString, func(st *State, b *kvBucket, key string) (results, error) {
		v, found, err := b.store.Get(st.ctx, key)
		if err != nil {
			return one(wasiKVError(err))
		}
		return one(capi.Ok(optionalBytes(v, found)))
	})
	i.funcs["[method]bucket.set"] = fn3(self, argString, argBytes, func(st *State, b *kvBucket, key string, v []byte) (results, error) {
		if err := b.store.Set(st.ctx, key, v); err != nil {
			return one(wasiKVError(err))
		}
		return one(capi.Ok(nil))
	})
	i.funcs["[method]bucket.delete"] = fn2(self, argString, func(st *State, b *kvBucket, key string) (results, error) {
		if err := b.store.Delete(st.ctx, key); err != nil {
			return one(wasiKVError(err))
		}
		return one(capi.Ok(nil))
	})
	i.funcs["[method]bucket.exists"] = fn2(self, argString, func(st *State, b *kvBucket, key string) (results, error) {
		ok, err := b.store.Exists(st.ctx, key)
		if err != nil {
			return one(wasiKVError(err))
		}
		return one(capi.Ok(capi.Bool(ok)))
	})
	// list-keys answers every key at once, with no cursor, as Spin does.
	i.funcs["[method]bucket.list-keys"] = fn2(self, argOption(argString), func(st *State, b *kvBucket, _ *string) (results, error) {
		keys, err := b.store.Keys(st.ctx)
		if err != nil {
			return one(wasiKVError(err))
		}
		out := make(capi.List, len(keys))
		for n, k := range keys {
			out[n] = capi.String(k)
		}
		return one(capi.Ok(capi.Record{{Name: "keys", Val: out}, {Name: "cursor", Val: capi.None}}))
	})
	return i
}

func wasiKVAtomics() *iface {
	i := newIface("wasi:keyvalue/atomics" + wasiKVVersion)
	i.types["cas"] = tyKVCas
	bucket := borrowed[*kvBucket]
	i.funcs["increment"] = fn3(bucket, argString, argS64, func(st *State, b *kvBucket, key string, delta int64) (results, error) {
		a, err := atomicStore(b.store)
		if err != nil {
			return one(wasiKVError(err))
		}
		n, err := a.Increment(st.ctx, key, delta)
		if err != nil {
			return one(wasiKVError(err))
		}
		return one(capi.Ok(capi.S64(n)))
	})
	i.funcs["[static]cas.new"] = fn2(bucket, argString, func(st *State, b *kvBucket, key string) (results, error) {
		v, found, err := b.store.Get(st.ctx, key)
		if err != nil {
			return one(wasiKVError(err))
		}
		return one(capi.Ok(st.own(tyKVCas, &kvCas{bucket: b, key: key, value: v, found: found})))
	})
	i.funcs["[method]cas.current"] = fn1(borrowed[*kvCas], func(_ *State, c *kvCas) (results, error) {
		return one(capi.Ok(optionalBytes(c.value, c.found)))
	})
	i.funcs["swap"] = fn2(owned[*kvCas], argBytes, func(st *State, c *kvCas, v []byte) (results, error) {
		storeErr := func(err error) (results, error) {
			return one(capi.Err(capi.Variant{Case: "store-error", Val: wasiKVError(err).Val}))
		}
		a, err := atomicStore(c.bucket.store)
		if err != nil {
			return storeErr(err)
		}
		swapped, err := a.CompareAndSwap(st.ctx, c.key, c.value, c.found, v)
		if err != nil {
			return storeErr(err)
		}
		if !swapped {
			// The cas comes back with the value the store holds now, so the
			// guest can retry with it.
			cur, found, err := c.bucket.store.Get(st.ctx, c.key)
			if err != nil {
				return storeErr(err)
			}
			next := &kvCas{bucket: c.bucket, key: c.key, value: cur, found: found}
			return one(capi.Err(capi.Variant{Case: "cas-failed", Val: st.own(tyKVCas, next)}))
		}
		return one(capi.Ok(nil))
	})
	return i
}

func wasiKVBatch() *iface {
	i := newIface("wasi:keyvalue/batch" + wasiKVVersion)
	bucket := borrowed[*kvBucket]
	i.funcs["get-many"] = fn2(bucket, argList(argString), func(st *State, b *kvBucket, keys []string) (results, error) {
		out := make(capi.List, 0, len(keys))
		for _, k := range keys {
			v, found, err := b.store.Get(st.ctx, k)
			if err != nil {
				return one(wasiKVError(err))
			}
			out = append(out, capi.Tuple{capi.String(k), optionalBytes(v, found)})
		}
		return one(capi.Ok(out))
	})
	i.funcs["set-many"] = fn2(bucket, argList(argKeyValue), func(st *State, b *kvBucket, kvs []keyValue) (results, error) {
		for _, kv := range kvs {
			if err := b.store.Set(st.ctx, kv.key, kv.value); err != nil {
				return one(wasiKVError(err))
			}
		}
		return one(capi.Ok(nil))
	})
	i.funcs["delete-many"] = fn2(bucket, argList(argString), func(st *State, b *kvBucket, keys []string) (results, error) {
		for _, k := range keys {
			if err := b.store.Delete(st.ctx, k); err != nil {
				return one(wasiKVError(err))
			}
		}
		return one(capi.Ok(nil))
	})
	return i
}

// keyValue is a tuple<string, list<u8>> of set-many.
type keyValue struct {
	key   string
	value []byte
}

func argKeyValue(st *State, v capi.Val) (keyValue, error) {
	t, ok := v.(capi.Tuple)
	if !ok || len(t) != 2 {
		return keyValue{}, mismatch("tuple<string, list<u8>>", v)
	}
	k, err := argString(st, t[0])
	if err != nil {
		return keyValue{}, err
	}
	b, err := argBytes(st, t[1])
	return keyValue{key: k, value: b}, err
}
