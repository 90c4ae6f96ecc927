// Package rdbms is what the relational database capabilities of Spin
// applications share: the value model of Spin's rdbms-types (parameters,
// row values, column types, row sets; spin:postgres@3.0.0's dates and
// times too), Spin's error kinds, the Driver a database backend
// implements (packages rdbms/postgres and rdbms/mysql), and Access, which
// checks every address against the component's allow-list
// (allowed_outbound_hosts "postgres://host:port", "mysql://host:port")
// before connecting, with a connect timeout.
//
// Every ABI binding (Spin 1.x outbound-pg and outbound-mysql core imports,
// fermyon:spin/postgres and mysql, unversioned and @2.0.0, and
// spin:postgres/postgres@3.0.0) uses the same model: a backend returns the
// richest values it has, and a binding lowers those its interface lacks
// (an ABI's Lower).
package rdbms
