package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
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

// importsWasm is a wasm binary (a core module, or a component) whose only
// section imports names.
func importsWasm(component bool, names ...string) []byte {
	leb := func(b []byte, n int) []byte {
		for ; n >= 0x80; n >>= 7 {
			b = append(b, byte(n)|0x80)
		}
		return append(b, byte(n))
	}
	str := func(b []byte, s string) []byte { return append(leb(b, len(s)), s...) }
	sec := leb(nil, len(names))
	for _, n := range names {
		if component {
			sec = append(str(append(sec, 0x00), n), 0x05, 0x00) // an instance of type 0
		} else {
			sec = append(str(str(sec, n), "f"), 0x00, 0x00) // a function of type 0
		}
	}
	bin, id := []byte("\x00asm\x01\x00\x00\x00"), byte(2)
	if component {
		bin, id = []byte("\x00asm\x0d\x00\x01\x00"), 10
	}
	return append(leb(append(bin, id), len(sec)), sec...)
}

func TestHostAPI(t *testing.T) {
	for _, tc := range []struct {
		name      string
		component bool
		want      string
	}{
		{"key-value", false, "key-value"},
		{"spin-config", false, "variables"},
		{"wasi-outbound-http", false, "outbound-http"},
		{"outbound-redis", false, "redis"},
		{"outbound-pg", false, "postgres"},
		{"outbound-mysql", false, "mysql"},
		{"sqlite", false, "sqlite"},
		{"llm", false, "llm"},
		{"fermyon:spin/key-value", false, "key-value"}, // wit-bindgen 0.8
		{"fermyon:spin/config", false, "variables"},
		{"fermyon:spin/http", false, "outbound-http"},
		{"wasi_snapshot_preview1", false, ""},
		{"fermyon:spin/mqtt@2.0.0", true, "mqtt"},
		{"fermyon:spin/rdbms-types@2.0.0", true, ""},
		{"spin:postgres/postgres@3.0.0", true, "postgres"},
		{"spin:key-value/key-value@3.0.0", true, "key-value"},
		{"spin:variables/variables@3.0.0", true, "variables"},
		{"wasi:http/outgoing-handler@0.2.0", true, "outbound-http"},
		{"wasi:http/types@0.2.0", true, ""},
		{"wasi:sockets/tcp@0.2.0", true, "sockets"},
		{"wasi:keyvalue/atomics@0.2.0-draft2", true, "wasi:keyvalue"},
		{"wasi:config/store@0.2.0-draft-2024-09-27", true, "wasi:config"},
		{"key-value", true, ""}, // a plain-named component import is not Spin's
	} {
		if got := hostAPI(tc.name, tc.component); got != tc.want {
			t.Errorf("hostAPI(%q, component %v) = %q, want %q", tc.name, tc.component, got, tc.want)
		}
	}
}

// TestInspectHostAPIs: inspect reads each component's wasm, from the
// registry or the directory, for the host APIs it imports.
func TestInspectHostAPIs(t *testing.T) {
	reg, host := startTestRegistry(t)
	dir := appDir(t, "spin2")
	for file, wasm := range map[string][]byte{
		"hello.wasm": importsWasm(false, "wasi_snapshot_preview1", "key-value", "sqlite", "wasi-outbound-http", "key-value"),
		"spin-go.wasm": importsWasm(true, "wasi:http/types@0.2.0", "fermyon:spin/mqtt@2.0.0", "spin:postgres/postgres@3.0.0",
			"wasi:sockets/tcp@0.2.0", "wasi:keyvalue/store@0.2.0-draft2", "wasi:config/store@0.2.0-draft-2024-09-27"),
		"wagi-go.wasm": importsWasm(false, "wasi_snapshot_preview1"),
	} {
		if err := os.WriteFile(filepath.Join(dir, "apps", file), wasm, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	push(t, reg, host, "inspect/apis:v1", dir)
	want := map[string][]string{
		"hello":   {"key-value", "outbound-http", "sqlite"},
		"spin-go": {"mqtt", "postgres", "sockets", "wasi:config", "wasi:keyvalue"},
		"wagi-go": {},
	}
	for _, target := range []string{host + "/inspect/apis:v1", dir} {
		stdout, stderr, code := spinoci(t, "inspect", "--plain-http", "--json", target)
		if code != 0 {
			t.Fatalf("inspect %s: exit %d\n%s", target, code, stderr)
		}
		var s Summary
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatal(err)
		}
		for _, c := range s.Components {
			if w, ok := want[c.ID]; ok && (!slices.Equal(c.HostAPIs, w) || c.HostAPIs == nil) {
				t.Errorf("%s: %s host APIs %q, want %q", target, c.ID, c.HostAPIs, w)
			}
		}
		if !strings.Contains(stdout, `"imports": [
        "wasi_snapshot_preview1",
        "key-value",
        "sqlite",
        "wasi-outbound-http"
      ]`) {
			t.Errorf("%s: JSON lacks hello's imports:\n%s", target, stdout)
		}
	}
	text, _, _ := spinoci(t, "inspect", dir)
	for _, line := range []string{`Host APIs +key-value, outbound-http, sqlite\n`, `Host APIs +none\n`} {
		if !regexp.MustCompile(line).MatchString(text) {
			t.Errorf("inspect text lacks %q:\n%s", line, text)
		}
	}

	// A wasm that is not one: its imports are unknown, and inspect says why.
	if err := os.WriteFile(filepath.Join(dir, "apps", "wagi-go.wasm"), []byte("not wasm"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, code := spinoci(t, "inspect", "--json", dir)
	if code != 0 || !strings.Contains(stdout, `"host_apis": null`) || !strings.Contains(stdout, `"imports_error": "reading the wasm's imports: not a WebAssembly binary (bad magic)"`) {
		t.Errorf("inspect of a bad wasm: exit %d\n%s", code, stdout)
	}
	text, _, _ = spinoci(t, "inspect", dir)
	if !regexp.MustCompile(`Host APIs +unknown \(reading the wasm's imports: not a WebAssembly binary \(bad magic\)\)`).MatchString(text) {
		t.Errorf("inspect text of a bad wasm:\n%s", text)
	}
}
