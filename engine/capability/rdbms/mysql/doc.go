// Package mysql is the MySQL (and MariaDB) backend of the rdbms
// capability, on go-sql-driver/mysql. Addresses are URLs,
// mysql://user:password@host[:port]/database, with an optional ssl-mode
// (or sslmode) query parameter: DISABLED, PREFERRED, REQUIRED, VERIFY_CA,
// VERIFY_IDENTITY. Each open is a new session, closed when the guest
// drops it (Spin opens a fresh one too): no session state passes between
// guests; at most MaxOpen sessions per address are open at once.
//
// Types, as Spin's: TINYINT … BIGINT (signed or not) map to int8 … uint64,
// FLOAT and DOUBLE to floating32 and floating64, CHAR, VARCHAR, the TEXT
// types, ENUM and SET to str, BINARY, VARBINARY and the BLOB types to
// binary; other column types are data type other, and their non-null
// values fail the query with value-conversion-failed, as in Spin.
package mysql
