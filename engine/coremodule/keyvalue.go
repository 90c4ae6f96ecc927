package coremodule

import (
	"errors"
	"fmt"

	"github.com/spinoci/spinoci/engine/capability/keyvalue"
)

// key-value error variant tags.
const (
	kvErrStoreTableFull = 0
	kvErrNoSuchStore    = 1
	kvErrAccessDenied   = 2
	kvErrInvalidStore   = 3
	kvErrNoSuchKey      = 4
	kvErrIO             = 5
)

// kvHandles is an instance's table of open stores.
type kvHandles = handleTable[keyvalue.Store]

// kvErrorTag is the error variant tag of a key-value error kind; other
// errors are io.
func kvErrorTag(err error) uint8 {
	switch {
	case errors.Is(err, keyvalue.ErrStoreTableFull):
		return kvErrStoreTableFull
	case errors.Is(err, keyvalue.ErrNoSuchStore):
		return kvErrNoSuchStore
	case errors.Is(err, keyvalue.ErrAccessDenied):
		return kvErrAccessDenied
	case errors.Is(err, keyvalue.ErrInvalidStore):
		return kvErrInvalidStore
	case errors.Is(err, keyvalue.ErrNoSuchKey):
		return kvErrNoSuchKey
	}
	return kvErrIO
}

// kvImport returns the implementation of key-value.<name>.
func kvImport(name string) hostFunc {
	switch name {
	case "open":
		return kvOpen
	case "get":
		return kvGet
	case "set":
		return kvSet
	case "delete":
		return kvDelete
	case "exists":
		return kvExists
	case "get-keys":
		return kvGetKeys
	case "close":
		return kvClose
	}
	return nil
}

// kvResult writes expected<T, error> into the 16-byte return area: ok
// with fill (which may be nil) writing the payload, or the error variant of
// err; io carries "what: err".
func (c *hostCall) kvResult(ret int32, what string, err error, fill func(area retArea) error) error {
	if err != nil {
		tag := kvErrorTag(err)
		return c.writeVariantResult(ret, 16, tag, tag == kvErrIO, fmt.Sprintf("%s: %v", what, err), true, nil)
	}
	return c.writeVariantResult(ret, 16, 0, false, "", false, fill)
}

// storeFor returns the open store behind a handle.
func (c *hostCall) storeFor(handle int32) (keyvalue.Store, error) {
	s, ok := c.state.kv.open[uint32(handle)]
	if !ok {
		return nil, keyvalue.ErrInvalidStore
	}
	return s, nil
}

// open(name_ptr, name_len, ret) → handle, with the component's key-value
// access rule (keyvalue.Access).
func kvOpen(c *hostCall, a []int32) error {
	name, err := c.readString(a[0], a[1])
	if err != nil {
		return err
	}
	var handle uint32
	s, err := c.state.comp.KeyValue.Open(c.state.ctx, name)
	if err == nil {
		handle, err = c.state.kv.add(s, keyvalue.TableCapacity, keyvalue.ErrStoreTableFull)
	}
	return c.kvResult(a[2], "open", err, func(area retArea) error {
		area.u32(4, handle)
		return nil
	})
}

// get(store, key_ptr, key_len, ret) → list<u8>.
func kvGet(c *hostCall, a []int32) error {
	key, err := c.readString(a[1], a[2])
	if err != nil {
		return err
	}
	var value []byte
	s, err := c.storeFor(a[0])
	if err == nil {
		var found bool
		if value, found, err = s.Get(c.state.ctx, key); err == nil && !found {
			err = keyvalue.ErrNoSuchKey
		}
	}
	return c.kvResult(a[3], "get", err, func(area retArea) error {
		ptr, err := c.putBytes(value)
		if err != nil {
			return err
		}
		area.u32(4, ptr)
		area.u32(8, uint32(len(value)))
		return nil
	})
}

// set(store, key_ptr, key_len, val_ptr, val_len, ret).
func kvSet(c *hostCall, a []int32) error {
	key, err := c.readString(a[1], a[2])
	if err != nil {
		return err
	}
	value, err := c.readBytes(a[3], a[4])
	if err != nil {
		return err
	}
	s, err := c.storeFor(a[0])
	if err == nil {
		err = s.Set(c.state.ctx, key, value)
	}
	return c.kvResult(a[5], "set", err, nil)
}

// delete(store, key_ptr, key_len, ret); a missing key is not an error.
func kvDelete(c *hostCall, a []int32) error {
	key, err := c.readString(a[1], a[2])
	if err != nil {
		return err
	}
	s, err := c.storeFor(a[0])
	if err == nil {
		err = s.Delete(c.state.ctx, key)
	}
	return c.kvResult(a[3], "delete", err, nil)
}

// exists(store, key_ptr, key_len, ret) → bool at +4.
func kvExists(c *hostCall, a []int32) error {
	key, err := c.readString(a[1], a[2])
	if err != nil {
		return err
	}
	var found bool
	s, err := c.storeFor(a[0])
	if err == nil {
		found, err = s.Exists(c.state.ctx, key)
	}
	return c.kvResult(a[3], "exists", err, func(area retArea) error {
		if found {
			area.u8(4, 1)
		}
		return nil
	})
}

// get-keys(store, ret) → list<string>: 8-byte {ptr, len} elements.
func kvGetKeys(c *hostCall, a []int32) error {
	var keys []string
	s, err := c.storeFor(a[0])
	if err == nil {
		keys, err = s.Keys(c.state.ctx)
	}
	return c.kvResult(a[1], "get-keys", err, func(area retArea) error { return c.putStrings(area, keys) })
}

// close(store): unknown handles are ignored.
func kvClose(c *hostCall, a []int32) error {
	delete(c.state.kv.open, uint32(a[0]))
	return nil
}
