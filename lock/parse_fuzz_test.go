package lock

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics; a lock it accepts validates, and encoding
// it and parsing again gives the same lock (nothing accepted is lost or
// changed by a round trip).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.lock"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := Parse(data)
		if err != nil {
			if app != nil {
				t.Fatalf("Parse returned a lock with error %v", err)
			}
			return
		}
		if err := app.Validate(); err != nil {
			t.Fatalf("accepted lock does not validate: %v", err)
		}
		encoded, err := json.Marshal(app)
		if err != nil {
			t.Fatalf("encoding an accepted lock: %v", err)
		}
		again, err := Parse(encoded)
		if err != nil {
			t.Fatalf("re-parsing an accepted lock: %v\n%s", err, encoded)
		}
		if !reflect.DeepEqual(normalize(t, app), normalize(t, again)) {
			t.Fatalf("round trip changed the lock:\n%s", encoded)
		}
	})
}

// normalize re-encodes a lock through a generic JSON value, so that raw
// JSON fields compare by value rather than by spelling.
func normalize(t *testing.T, app *LockedApp) any {
	t.Helper()
	data, err := json.Marshal(app)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
