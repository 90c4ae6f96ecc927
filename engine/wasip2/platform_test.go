package wasip2

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/llm"
	"github.com/spinoci/spinoci/engine/capability/sqlite"
	"github.com/spinoci/spinoci/engine/capability/variables"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// sqliteAccess opens real in-memory databases by label; "denied" is
// refused and "gone" has none.
type sqliteAccess map[string]*sqlite.Database

func (a sqliteAccess) Open(_ context.Context, label string) (*sqlite.Database, error) {
	switch label {
	case "denied":
		return nil, sqlite.ErrAccessDenied
	case "gone":
		return nil, sqlite.ErrNoSuchDatabase
	}
	return a[label], nil
}

func TestSQLiteBinding(t *testing.T) {
	db, err := sqlite.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := newFixture(t, "platform", Config{SQLite: sqliteAccess{"default": db}})
	query := func(label, stmt string, params ...capi.Val) capi.Result {
		t.Helper()
		out, _, err := f.call(t, "sqlite-query", 1, capi.String(label), capi.String(stmt), capi.List(params))
		if err != nil {
			t.Fatalf("sqlite-query(%s, %q): %v", label, stmt, err)
		}
		return out[0].(capi.Result)
	}
	for label, want := range map[string]string{"denied": "access-denied", "gone": "no-such-database"} {
		if got := query(label, "SELECT 1"); !reflect.DeepEqual(got, capi.Err(capi.Variant{Case: want})) {
			t.Errorf("open(%s) = %#v, want %s", label, got, want)
		}
	}
	bare := newFixture(t, "platform", Config{})
	out, _, err := bare.call(t, "sqlite-query", 1, capi.String("default"), capi.String("SELECT 1"), capi.List{})
	if err != nil || !reflect.DeepEqual(out[0], capi.Err(capi.Variant{Case: "access-denied"})) {
		t.Errorf("without SQLite: %#v %v, want access-denied", out, err)
	}
	exec := func(stmt string, params ...capi.Val) capi.Result { return query("default", stmt, params...) }
	if r := exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)"); !r.Ok {
		t.Fatalf("CREATE: %#v", r)
	}
	row := capi.List{
		capi.Variant{Case: "integer", Val: capi.S64(-7)},
		capi.Variant{Case: "real", Val: capi.F64(0.5)},
		capi.Variant{Case: "text", Val: capi.String("tëxt")},
		capi.Variant{Case: "blob", Val: capi.Bytes{0, 255}},
		capi.Variant{Case: "null"},
	}
	if r := exec("INSERT INTO t VALUES (?, ?, ?, ?, ?)", row...); !r.Ok {
		t.Fatalf("INSERT: %#v", r)
	}
	got := exec("SELECT * FROM t")
	want := capi.Ok(capi.Record{
		{Name: "columns", Val: capi.List{capi.String("i"), capi.String("r"), capi.String("s"), capi.String("b"), capi.String("n")}},
		{Name: "rows", Val: capi.List{capi.Record{{Name: "values", Val: row}}}},
	})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SELECT = %#v\nwant %#v", got, want)
	}
	bad := exec("SELECT * FROM nowhere")
	if v, ok := bad.Val.(capi.Variant); bad.Ok || !ok || v.Case != "io" || !strings.Contains(string(v.Val.(capi.String)), "no such table") {
		t.Errorf("bad SQL = %#v, want io naming the table", bad)
	}
}

func TestLLMAndConfigBindings(t *testing.T) {
	cfg, err := variables.ComponentConfig("c", map[string]string{"b": "2", "a": "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "platform", Config{Variables: cfg, LLM: llm.NewEngine([]string{"llama2-chat"})})
	none := capi.Option{}
	caseOf := func(v capi.Val) string {
		r := v.(capi.Result)
		if r.Ok {
			return "ok"
		}
		return r.Val.(capi.Variant).Case
	}
	out, _, err := f.call(t, "infer", 1, capi.String("llama2-chat"), capi.String("hi"), none)
	if err != nil || caseOf(out[0]) != "runtime-error" {
		t.Errorf("infer(allowed) = %#v %v, want runtime-error", out, err)
	}
	out, _, err = f.call(t, "infer", 1, capi.String("gpt"), capi.String("hi"), none)
	if err != nil || caseOf(out[0]) != "invalid-input" {
		t.Errorf("infer(not listed) = %#v %v, want invalid-input", out, err)
	}
	out, _, err = f.call(t, "generate-embeddings", 1, capi.String("llama2-chat"), capi.List{capi.String("x")})
	if err != nil || caseOf(out[0]) != "runtime-error" {
		t.Errorf("generate-embeddings = %#v %v, want runtime-error", out, err)
	}

	out, _, err = f.call(t, "config-get", 1, capi.String("a"))
	if want := capi.Ok(capi.Some(capi.String("1"))); err != nil || !reflect.DeepEqual(out[0], want) {
		t.Errorf("get(a) = %#v %v", out, err)
	}
	for _, key := range []string{"missing", "Bad-Name"} {
		out, _, err = f.call(t, "config-get", 1, capi.String(key))
		if want := capi.Ok(capi.None); err != nil || !reflect.DeepEqual(out[0], want) {
			t.Errorf("get(%s) = %#v %v, want none", key, out, err)
		}
	}
	out, _, err = f.call(t, "config-get-all", 1)
	want := capi.Ok(capi.List{capi.Tuple{capi.String("a"), capi.String("1")}, capi.Tuple{capi.String("b"), capi.String("2")}})
	if err != nil || !reflect.DeepEqual(out[0], want) {
		t.Errorf("get-all = %#v %v", out, err)
	}
}
