// Package keyvalue is the key-value host capability of Spin applications:
// the Store interface every ABI binding uses (the Spin 1.x core imports,
// fermyon:spin/key-value of components), Spin's error kinds, the SQLite
// store behind the "default" label, and the access rule: a component opens
// only the labels listed in its key_value_stores, and a label's store is
// opened once per App, when the first component that may use it is loaded.
//
// Labels other than "default" have no store until a provider backs them;
// Stores keeps its providers by label, which is where a runtime-config
// section ([key_value_store.<label>]) would add more.
package keyvalue
