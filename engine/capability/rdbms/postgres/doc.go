// Package postgres is the PostgreSQL backend of the rdbms capability, on
// pgx. Addresses are libpq connection strings (URLs or key=value pairs).
// Each App keeps a connection pool per address (at most rdbms.MaxPools
// addresses, MaxPoolConns connections each, as Spin does); a connection
// goes back to its pool with its session state reset.
//
// Types, as Spin's: bool, int2, int4, int8, float4, float8, text, varchar,
// bpchar and bytea map to the values of the same kinds; date, time,
// timestamp and timestamptz (as UTC) to date, time and datetime; other
// types are unsupported values with data type other. Unsigned integer
// parameters are bad-parameter (Postgres has none). A query with no rows
// returns no columns either (Spin reads them off the first row).
package postgres
