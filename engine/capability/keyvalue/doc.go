// Package keyvalue is the key-value host capability of Spin applications:
// the Store interface every ABI binding uses (the Spin 1.x core imports,
// fermyon:spin/key-value of components), Spin's error kinds, the SQLite
// store behind the "default" label, and the access rule: a component opens
// only the labels listed in its key_value_stores, and a label's store is
// opened once per App, when the first component that may use it is loaded.
//
// Labels other than "default" have a store when the runtime config
// declares one ([key_value_store.<label>], type "spin" for SQLite or
// "redis"); a component listing a label without a store fails to load,
// naming it. Both backends also offer the atomic operations of
// wasi:keyvalue/atomics (Atomic).
package keyvalue
