package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/lock"
)

// TestSummaryStoresAndDatabases: inspect shows the labels a component
// opens, key-value stores and SQLite databases.
func TestSummaryStoresAndDatabases(t *testing.T) {
	app := &lock.LockedApp{Components: []lock.Component{{
		ID: "c",
		Metadata: map[string]json.RawMessage{
			lock.MetadataKeyValueStores: json.RawMessage(`["default","cache"]`),
			lock.MetadataDatabases:      json.RawMessage(`["default","reports"]`),
		},
	}}}
	s := summarize(app, "test", nil)
	c := s.Components[0]
	if !slices.Equal(c.KeyValueStores, []string{"default", "cache"}) || !slices.Equal(c.SQLiteDatabases, []string{"default", "reports"}) {
		t.Errorf("stores %q, databases %q", c.KeyValueStores, c.SQLiteDatabases)
	}
	out, err := json.Marshal(c)
	if err != nil || !strings.Contains(string(out), `"sqlite_databases":["default","reports"]`) {
		t.Errorf("JSON %s %v lacks sqlite_databases", out, err)
	}
}
