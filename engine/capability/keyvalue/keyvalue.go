package keyvalue

import (
	"context"
	"errors"
)

// DefaultLabel is the store every Spin app has.
const DefaultLabel = "default"

// TableCapacity is how many stores one instance may hold open at once
// (Spin's DEFAULT_STORE_TABLE_CAPACITY).
const TableCapacity = 256

// Store is an open key-value store.
type Store interface {
	// Get returns the key's value; found is false when there is none.
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
	Set(ctx context.Context, key string, value []byte) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	Exists(ctx context.Context, key string) (bool, error)
	// Keys lists the store's keys in order.
	Keys(ctx context.Context) ([]string, error)
}

// Spin's key-value error kinds. Errors of a Store's methods that are none
// of these are Spin's io (Spin 1.x) or other (fermyon:spin@2.0.0) case.
var (
	ErrStoreTableFull = errors.New("store table full")
	ErrNoSuchStore    = errors.New("no such store")
	ErrAccessDenied   = errors.New("access denied")
	ErrInvalidStore   = errors.New("invalid store")
	ErrNoSuchKey      = errors.New("no such key")

	errMissingURL = errors.New(`missing "url"`)
)
