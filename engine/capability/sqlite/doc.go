// Package sqlite is the SQLite host capability of Spin applications: the
// Connection every ABI binding uses (Spin 1.x's sqlite core imports,
// fermyon:spin/sqlite@2.0.0 of components), Spin's error kinds, the
// databases behind labels and the access rule.
//
// A component opens only the labels listed in its sqlite_databases
// ("databases" in the lock). Label "default" is DefaultFileName in the
// app's state directory (in memory when there is none); other labels are
// declared by [sqlite_database.<label>] sections of the runtime config.
// Each label's database is opened once per App, when the first component
// that may use it is loaded, and shared by every request.
package sqlite
