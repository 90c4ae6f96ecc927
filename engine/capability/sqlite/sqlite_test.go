package sqlite

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

func TestExecuteRoundTripsEveryType(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Execute(ctx, "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Columns) != 0 || len(res.Rows) != 0 {
		t.Errorf("CREATE answered %+v", res)
	}
	row := []Value{
		{Kind: Integer, Integer: math.MinInt64},
		{Kind: Real, Real: 2.5},
		{Kind: Text, Text: "héllo"},
		{Kind: Blob, Blob: []byte{0, 1, 255}},
		{Kind: Null},
	}
	if _, err := db.Execute(ctx, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", row); err != nil {
		t.Fatal(err)
	}
	res, err = db.Execute(ctx, "SELECT i, r, s, b, n FROM t WHERE i = ?", row[:1])
	if err != nil {
		t.Fatal(err)
	}
	want := &QueryResult{Columns: []string{"i", "r", "s", "b", "n"}, Rows: [][]Value{row}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("SELECT = %+v, want %+v", res, want)
	}
	if _, err := db.Execute(ctx, "SELECT * FROM missing", nil); err == nil || errors.Is(err, ErrDatabaseFull) {
		t.Errorf("bad SQL: %v, want an io error", err)
	}
}

func TestDatabasesAccessAndPersistence(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	dbs := NewDatabases(state)
	if _, err := dbs.Access(ctx, []string{"default", "other"}); err == nil || !strings.Contains(err.Error(), `sqlite database "other" is not defined`) {
		t.Errorf("undefined label: %v", err)
	}
	a, err := dbs.Access(ctx, []string{"default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Open(ctx, "secret"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("unlisted label: %v, want ErrAccessDenied", err)
	}
	var nilAccess *Access
	if _, err := nilAccess.Open(ctx, DefaultLabel); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("nil Access: %v, want ErrAccessDenied", err)
	}
	if _, err := (&Access{labels: []string{"x"}}).Open(ctx, "x"); !errors.Is(err, ErrNoSuchDatabase) {
		t.Errorf("listed label without a database: %v, want ErrNoSuchDatabase", err)
	}
	db, err := a.Open(ctx, DefaultLabel)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Execute(ctx, "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('yes')", nil); err != nil {
		t.Fatal(err)
	}
	if err := dbs.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, DefaultFileName)); err != nil {
		t.Fatalf("default database file: %v", err)
	}
	// A new App's databases see what the last one wrote.
	dbs2 := NewDatabases(state)
	defer dbs2.Close()
	a2, err := dbs2.Access(ctx, []string{DefaultLabel})
	if err != nil {
		t.Fatal(err)
	}
	db2, _ := a2.Open(ctx, DefaultLabel)
	res, err := db2.Execute(ctx, "SELECT v FROM kept", nil)
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0].Text != "yes" {
		t.Errorf("after reopening: %+v %v", res, err)
	}
}

func TestRuntimeConfigSection(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbs := NewDatabases(filepath.Join(dir, "state"))
	defer dbs.Close()
	data := `
[sqlite_database.reports]
type = "spin"
path = "data/reports.db"

[sqlite_database.scratch]
type = "spin"
`
	if err := runtimeconfig.Parse(&runtimeconfig.File{Path: filepath.Join(dir, "rc.toml")}, []byte(data), dbs.RuntimeConfigSection()); err != nil {
		t.Fatal(err)
	}
	if !dbs.Defined("reports") || !dbs.Defined("scratch") || dbs.Defined("other") {
		t.Error("Defined does not match the runtime config")
	}
	a, err := dbs.Access(ctx, []string{"reports", "scratch"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data/reports.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
	// Without a path, the database is in memory (as in Spin): no file.
	if entries, _ := os.ReadDir(filepath.Join(dir, "state")); len(entries) != 0 {
		t.Errorf("files in the state directory: %v", entries)
	}
	scratch, err := a.Open(ctx, "scratch")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scratch.Execute(ctx, "CREATE TABLE t (v)", nil); err != nil {
		t.Errorf("in-memory database: %v", err)
	}
	for _, tc := range []struct{ data, want string }{
		{"[sqlite_database.x]\ntype = \"libsql\"\nurl = \"u\"", `"x": unsupported type "libsql" (this runtime supports "spin")`},
		{"[sqlite_database.x]\ntype = \"spin\"\nurl = \"u\"", `"x": unknown option url`},
	} {
		err := runtimeconfig.Parse(&runtimeconfig.File{}, []byte(tc.data), NewDatabases("").RuntimeConfigSection())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.data, err, tc.want)
		}
	}
}

// A database that cannot grow answers ErrDatabaseFull (Spin's
// database-full), not a plain io error.
func TestExecuteDatabaseFull(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "") // one connection: the pragma holds for the insert
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Execute(ctx, "CREATE TABLE t (b BLOB)", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Execute(ctx, "PRAGMA max_page_count = 3", nil); err != nil {
		t.Fatal(err)
	}
	_, err = db.Execute(ctx, "INSERT INTO t VALUES (?)", []Value{{Kind: Blob, Blob: make([]byte, 1<<20)}})
	if !errors.Is(err, ErrDatabaseFull) {
		t.Errorf("insert past max_page_count: %v, want ErrDatabaseFull", err)
	}
}
