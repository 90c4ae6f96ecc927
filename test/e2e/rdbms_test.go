package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/servers"
)

// TestPostgresAndMySQL runs spin-host (a Spin 1.x module) through ctr run
// on each pinned containerd against a real PostgreSQL and a real MariaDB
// on loopback: outbound-pg and outbound-mysql execute and query with
// parameters, the allow-list (allowed_outbound_hosts names each server's
// port) denies another port, and SQL errors come back as query-failed.
func TestPostgresAndMySQL(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	pg := servers.Postgres(t)
	my := servers.MariaDB(t)
	app := spinHostApp(paths, "rdbms", map[string]any{
		lock.MetadataAllowedOutboundHosts: []string{"postgres://" + pg.Addr(), "mysql://" + my.Addr()},
	})
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			d, id, addr := runOutbound(t, v, app)
			// Each daemon gets its own tables.
			testPostgresAndMySQL(t, addr, pg, my, "greetings_"+strings.ReplaceAll(v, ".", "_"))
			stopSpin1(t, d, id)
		})
	}
}

func testPostgresAndMySQL(t *testing.T, addr string, pg, my *servers.Server, table string) {
	db := func(url string, params ...string) http.Header {
		h := http.Header{"X-Db-Url": {url}}
		for i, p := range params {
			h.Set(fmt.Sprintf("X-Param-%d", i+1), p)
		}
		return h
	}
	post := http.MethodPost
	check(t, addr,
		exchange{method: post, path: "/pg/execute", send: "CREATE TABLE " + table + " (id int8, name text, at date)", header: db(pg.PostgresURL()), status: 200, want: "rows=0\n"},
		exchange{method: post, path: "/pg/execute", send: "INSERT INTO " + table + " VALUES (1, $1, '2024-02-29'), (2, NULL, NULL)", header: db(pg.PostgresURL(), "spinoci"), status: 200, want: "rows=2\n"},
		// Data types: int64 4, str 11, other 13.
		exchange{method: post, path: "/pg/query", send: "SELECT * FROM " + table + " ORDER BY id", header: db(pg.PostgresURL()), status: 200,
			want: "id:4|name:11|at:13\nint:1|str:spinoci|unsupported\nint:2|null|null\n"},
		exchange{method: post, path: "/pg/query", send: "SELECT * FROM missing", header: db(pg.PostgresURL()), status: 500,
			want: "error: query-failed: ERROR: relation \"missing\" does not exist (SQLSTATE 42P01)\n"},
		exchange{method: post, path: "/pg/query", send: "SELECT 1", header: db("postgres://spin@127.0.0.1:1/spin"), status: 500,
			want: "error: connection-failed: address postgres://127.0.0.1:1 is not permitted\n"},
		exchange{method: post, path: "/mysql/execute", send: "CREATE TABLE " + table + " (id BIGINT UNSIGNED, name TEXT)", header: db(my.MySQLURL()), status: 200, want: "ok\n"},
		exchange{method: post, path: "/mysql/execute", send: "INSERT INTO " + table + " VALUES (1, ?)", header: db(my.MySQLURL(), "spinoci"), status: 200, want: "ok\n"},
		// Data types: uint64 8, str 11.
		exchange{method: post, path: "/mysql/query", send: "SELECT * FROM " + table, header: db(my.MySQLURL()), status: 200,
			want: "id:8|name:11\nuint:1|str:spinoci\n"},
		exchange{method: post, path: "/mysql/query", send: "SELECT * FROM missing", header: db(my.MySQLURL()), status: 500,
			want: "error: query-failed: Error 1146 (42S02): Table 'spin.missing' doesn't exist\n"},
		exchange{method: post, path: "/mysql/query", send: "SELECT 1", header: db("mysql://spin@127.0.0.1:1/spin"), status: 500,
			want: "error: connection-failed: address mysql://127.0.0.1:1 is not permitted\n"},
	)
}
