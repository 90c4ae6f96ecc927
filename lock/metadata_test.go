package lock

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestMetadataStrings(t *testing.T) {
	c := &Component{ID: "c", Metadata: map[string]json.RawMessage{
		"allowed_outbound_hosts": json.RawMessage(`["https://a.example","redis://*:*"]`),
		"empty":                  json.RawMessage(`[]`),
		"null":                   json.RawMessage(`null`),
		"string":                 json.RawMessage(`"x"`),
		"numbers":                json.RawMessage(`[1]`),
	}}
	tests := []struct {
		key     string
		want    []string
		wantErr bool
	}{
		{key: "allowed_outbound_hosts", want: []string{"https://a.example", "redis://*:*"}},
		{key: "empty", want: []string{}},
		{key: "null"},
		{key: "absent"},
		{key: "string", wantErr: true},
		{key: "numbers", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, err := c.MetadataStrings(tt.key)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), `component "c": metadata "`+tt.key+`"`) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func strPtr(s string) *string { return &s }

func TestInfo(t *testing.T) {
	tests := []struct {
		name     string
		metadata string
		want     AppInfo
		wantErr  string
	}{
		{name: "all fields", metadata: `{"name":"hello","version":"1.2.0","bindle_version":"b1","oci_image_digest":"sha256:ab","origin":"file:///x"}`,
			want: AppInfo{Name: "hello", Version: strPtr("1.2.0"), BindleVersion: strPtr("b1"), OCIImageDigest: strPtr("sha256:ab")}},
		{name: "name only", metadata: `{"name":"hello"}`, want: AppInfo{Name: "hello"}},
		{name: "empty version is kept", metadata: `{"name":"a","version":""}`, want: AppInfo{Name: "a", Version: strPtr("")}},
		{name: "null version", metadata: `{"name":"a","version":null}`, want: AppInfo{Name: "a"}},
		{name: "no metadata", metadata: `null`},
		{name: "name not a string", metadata: `{"name":7}`, wantErr: `metadata "name"`},
		{name: "version not a string", metadata: `{"name":"a","version":["1"]}`, wantErr: `metadata "version"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, err := Parse([]byte(`{"metadata":` + tt.metadata + `,"triggers":[],"components":[]}`))
			if err != nil {
				t.Fatal(err)
			}
			got, err := app.Info()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Info = %+v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Info = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	// The JSON form is Spin's AppInfo: absent optional fields are omitted.
	b, err := json.Marshal(AppInfo{Name: "hello", Version: strPtr("")})
	if want := `{"name":"hello","version":""}`; err != nil || string(b) != want {
		t.Errorf("AppInfo JSON = %s, %v; want %s", b, err, want)
	}
}

func TestComponentAccessors(t *testing.T) {
	c := &Component{ID: "c", Metadata: map[string]json.RawMessage{
		"key_value_stores": json.RawMessage(`["default","cache"]`),
		"databases":        json.RawMessage(`["default"]`),
	}}
	if got, err := c.KeyValueStores(); err != nil || !reflect.DeepEqual(got, []string{"default", "cache"}) {
		t.Errorf("KeyValueStores = %v, %v", got, err)
	}
	if got, err := c.SQLiteDatabases(); err != nil || !reflect.DeepEqual(got, []string{"default"}) {
		t.Errorf("SQLiteDatabases = %v, %v", got, err)
	}
	none := &Component{ID: "none"}
	if got, err := none.KeyValueStores(); err != nil || got != nil {
		t.Errorf("no metadata: KeyValueStores = %v, %v", got, err)
	}
	if got, err := none.SQLiteDatabases(); err != nil || got != nil {
		t.Errorf("no metadata: SQLiteDatabases = %v, %v", got, err)
	}
	bad := &Component{ID: "bad", Metadata: map[string]json.RawMessage{
		"key_value_stores": json.RawMessage(`"default"`),
		"databases":        json.RawMessage(`{}`),
	}}
	if _, err := bad.KeyValueStores(); err == nil || !strings.Contains(err.Error(), `component "bad": metadata "key_value_stores"`) {
		t.Errorf("KeyValueStores of a string: %v", err)
	}
	if _, err := bad.SQLiteDatabases(); err == nil || !strings.Contains(err.Error(), `component "bad": metadata "databases"`) {
		t.Errorf("SQLiteDatabases of an object: %v", err)
	}
}

func TestAllowedOutboundHosts(t *testing.T) {
	tests := []struct {
		name     string
		metadata map[string]string
		want     []string
		spin2    bool
		wantErr  string
	}{
		{name: "spin 2", metadata: map[string]string{"allowed_outbound_hosts": `["https://a.example","redis://*:*"]`},
			want: []string{"https://a.example", "redis://*:*"}, spin2: true},
		{name: "spin 1", metadata: map[string]string{"allowed_http_hosts": `["a.example","insecure:allow-all"]`},
			want: []string{"a.example", "insecure:allow-all"}},
		{name: "both: spin 2 wins", metadata: map[string]string{"allowed_outbound_hosts": `["https://a.example"]`, "allowed_http_hosts": `["b.example"]`},
			want: []string{"https://a.example"}, spin2: true},
		{name: "spin 2 empty list", metadata: map[string]string{"allowed_outbound_hosts": `[]`, "allowed_http_hosts": `["b.example"]`},
			want: []string{}, spin2: true},
		{name: "spin 2 null", metadata: map[string]string{"allowed_outbound_hosts": `null`, "allowed_http_hosts": `["b.example"]`},
			spin2: true},
		{name: "neither"},
		{name: "spin 2 malformed", metadata: map[string]string{"allowed_outbound_hosts": `"https://a.example"`},
			spin2: true, wantErr: `metadata "allowed_outbound_hosts" is not a list of strings`},
		{name: "spin 1 malformed", metadata: map[string]string{"allowed_http_hosts": `[1]`},
			wantErr: `metadata "allowed_http_hosts" is not a list of strings`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Component{ID: "c", Metadata: map[string]json.RawMessage{}}
			for k, v := range tt.metadata {
				c.Metadata[k] = json.RawMessage(v)
			}
			got, spin2, err := c.AllowedOutboundHosts()
			if spin2 != tt.spin2 {
				t.Errorf("spin2Syntax = %v, want %v", spin2, tt.spin2)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("hosts = %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
}

func TestComponentLookup(t *testing.T) {
	app := &LockedApp{Components: []Component{{ID: "a"}, {ID: "b"}}}
	c, ok := app.Component("b")
	if !ok || c != &app.Components[1] {
		t.Fatalf("Component(b) = %p, %v; want the app's own element", c, ok)
	}
	if c, ok := app.Component("z"); ok || c != nil {
		t.Errorf("Component(z) = %v, %v", c, ok)
	}
}
