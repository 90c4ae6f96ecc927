package wasip2

import (
	"context"
	"errors"
	"fmt"

	"github.com/spinoci/spinoci/engine/capability/llm"
	"github.com/spinoci/spinoci/engine/capability/sqlite"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// SQLite opens the component's SQLite databases (the sqlite capability:
// *sqlite.Access).
type SQLite interface {
	// Open returns the database labelled label; errors wrap
	// sqlite.ErrAccessDenied or sqlite.ErrNoSuchDatabase when those apply.
	Open(ctx context.Context, label string) (*sqlite.Database, error)
}

// LLM is the component's LLM capability (*llm.Engine); errors are
// *llm.Error.
type LLM interface {
	Infer(ctx context.Context, model, prompt string) (string, error)
	GenerateEmbeddings(ctx context.Context, model string, text []string) ([][]float32, error)
}

// configLister is what a Variables may also do: list every config value
// (wasi:config/store.get-all).
type configLister interface {
	All() [][2]string
}

// sqliteConnection is an open fermyon:spin/sqlite connection.
type sqliteConnection struct{ db *sqlite.Database }

func sqliteError(err error) capi.Val {
	switch {
	case errors.Is(err, sqlite.ErrNoSuchDatabase):
		return capi.Err(capi.Variant{Case: "no-such-database"})
	case errors.Is(err, sqlite.ErrAccessDenied):
		return capi.Err(capi.Variant{Case: "access-denied"})
	case errors.Is(err, sqlite.ErrInvalidConnection):
		return capi.Err(capi.Variant{Case: "invalid-connection"})
	case errors.Is(err, sqlite.ErrDatabaseFull):
		return capi.Err(capi.Variant{Case: "database-full"})
	}
	return capi.Err(capi.Variant{Case: "io", Val: capi.String(err.Error())})
}

// sqliteValueCases are the cases of the value variant, by sqlite.Kind.
var sqliteValueCases = [...]string{"integer", "real", "text", "blob", "null"}

// argSQLiteValue reads a fermyon:spin/sqlite value.
func argSQLiteValue(_ *State, v capi.Val) (sqlite.Value, error) {
	c, ok := v.(capi.Variant)
	if !ok {
		return sqlite.Value{}, mismatch("value", v)
	}
	switch c.Case {
	case "integer":
		if n, ok := c.Val.(capi.S64); ok {
			return sqlite.Value{Kind: sqlite.Integer, Integer: int64(n)}, nil
		}
	case "real":
		if f, ok := c.Val.(capi.F64); ok {
			return sqlite.Value{Kind: sqlite.Real, Real: float64(f)}, nil
		}
	case "text":
		if s, ok := c.Val.(capi.String); ok {
			return sqlite.Value{Kind: sqlite.Text, Text: string(s)}, nil
		}
	case "blob":
		b, err := argBytes(nil, c.Val)
		return sqlite.Value{Kind: sqlite.Blob, Blob: b}, err
	case "null":
		return sqlite.Value{Kind: sqlite.Null}, nil
	}
	return sqlite.Value{}, fmt.Errorf("value case %q: unexpected payload %s", c.Case, witType(c.Val))
}

func sqliteValue(v sqlite.Value) capi.Val {
	c := capi.Variant{Case: sqliteValueCases[v.Kind]}
	switch v.Kind {
	case sqlite.Integer:
		c.Val = capi.S64(v.Integer)
	case sqlite.Real:
		c.Val = capi.F64(v.Real)
	case sqlite.Text:
		c.Val = capi.String(v.Text)
	case sqlite.Blob:
		c.Val = capi.Bytes(v.Blob)
	}
	return c
}

func spinSQLite() *iface {
	i := newIface("fermyon:spin/sqlite" + spinVersion)
	i.types["connection"] = tySQLiteConnection
	i.drops["connection"] = func(st *State, _ uint32) { st.sqlOpen-- }
	i.funcs["[static]connection.open"] = fn1(argString, func(st *State, label string) (results, error) {
		access := st.host.cfg.SQLite
		if access == nil {
			return one(sqliteError(sqlite.ErrAccessDenied))
		}
		if st.sqlOpen >= sqlite.TableCapacity {
			return one(sqliteError(fmt.Errorf("too many open connections (%d)", sqlite.TableCapacity)))
		}
		db, err := access.Open(st.ctx, label)
		if err != nil {
			return one(sqliteError(err))
		}
		st.sqlOpen++
		return one(capi.Ok(st.own(tySQLiteConnection, &sqliteConnection{db: db})))
	})
	self := borrowed[*sqliteConnection]
	i.funcs["[method]connection.execute"] = fn3(self, argString, argList(argSQLiteValue),
		func(st *State, c *sqliteConnection, stmt string, params []sqlite.Value) (results, error) {
			res, err := c.db.Execute(st.ctx, stmt, params)
			if err != nil {
				return one(sqliteError(err))
			}
			cols := make(capi.List, len(res.Columns))
			for n, name := range res.Columns {
				cols[n] = capi.String(name)
			}
			rows := make(capi.List, len(res.Rows))
			for n, row := range res.Rows {
				vals := make(capi.List, len(row))
				for m, v := range row {
					vals[m] = sqliteValue(v)
				}
				rows[n] = capi.Record{{Name: "values", Val: vals}}
			}
			return one(capi.Ok(capi.Record{{Name: "columns", Val: cols}, {Name: "rows", Val: rows}}))
		})
	return i
}

// llmError is the error variant of an LLM capability error.
func llmError(err error) capi.Val {
	switch {
	case errors.Is(err, llm.ErrModelNotSupported):
		return capi.Err(capi.Variant{Case: "model-not-supported"})
	case errors.Is(err, llm.ErrInvalidInput):
		return capi.Err(capi.Variant{Case: "invalid-input", Val: capi.String(err.Error())})
	}
	return capi.Err(capi.Variant{Case: "runtime-error", Val: capi.String(err.Error())})
}

// spinLLM answers infer and generate-embeddings with the capability's
// error: no model runs here (see package llm). The arguments are checked
// but the prompt and parameters are not used.
func spinLLM() *iface {
	i := newIface("fermyon:spin/llm" + spinVersion)
	var nilLLM *llm.Engine // denies every model
	engine := func(st *State) LLM {
		if st.host.cfg.LLM == nil {
			return nilLLM
		}
		return st.host.cfg.LLM
	}
	anyOption := func(_ *State, v capi.Val) (capi.Val, error) { return v, nil }
	i.funcs["infer"] = fn3(argString, argString, anyOption, func(st *State, model, prompt string, _ capi.Val) (results, error) {
		if _, err := engine(st).Infer(st.ctx, model, prompt); err != nil {
			return one(llmError(err))
		}
		return nil, errors.New("an LLM answered, but this host cannot return its result")
	})
	i.funcs["generate-embeddings"] = fn2(argString, argList(argString), func(st *State, model string, text []string) (results, error) {
		if _, err := engine(st).GenerateEmbeddings(st.ctx, model, text); err != nil {
			return one(llmError(err))
		}
		return nil, errors.New("an LLM answered, but this host cannot return its result")
	})
	return i
}

// wasiConfigStore is wasi:config/store over the component's config (the
// same values fermyon:spin/variables reads): an undefined or invalid key is
// none.
func wasiConfigStore() *iface {
	i := newIface("wasi:config/store@0.2.0-draft-2024-09-27")
	i.funcs["get"] = fn1(argString, func(st *State, key string) (results, error) {
		vars := st.host.cfg.Variables
		if vars == nil {
			return one(capi.Ok(capi.None))
		}
		v, err := vars.Get(st.ctx, key)
		switch {
		case errors.Is(err, ErrUndefinedVariable) || errors.Is(err, ErrInvalidVariableName):
			return one(capi.Ok(capi.None))
		case err != nil:
			return one(capi.Err(capi.Variant{Case: "upstream", Val: capi.String(err.Error())}))
		}
		return one(capi.Ok(capi.Some(capi.String(v))))
	})
	i.funcs["get-all"] = fn0(func(st *State) (results, error) {
		out := capi.List{}
		if l, ok := st.host.cfg.Variables.(configLister); ok {
			for _, kv := range l.All() {
				out = append(out, capi.Tuple{capi.String(kv[0]), capi.String(kv[1])})
			}
		}
		return one(capi.Ok(out))
	})
	return i
}
