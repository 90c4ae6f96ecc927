package lock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTestLock reads and parses testdata/name.
func readTestLock(name string) (*LockedApp, error) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

func TestParseSpecExamples(t *testing.T) {
	tests := []struct {
		file       string
		version    int
		components []string
		wantErr    string
	}{
		{file: "sip008-v0.lock", version: 0, components: []string{"github-star-webhook"}},
		{file: "pushed-v0-compact.lock", version: 0, components: []string{"hello"}},
		{file: "wagi-custom-entrypoint-v0.lock", version: 0, components: []string{"wagi"}},
		// Spin's service-chaining.lock requires local_service_chaining on a
		// component, which spinoci does not support.
		{file: "service-chaining-v1.lock", wantErr: `component "front": host requirement "local_service_chaining" is required but not supported by spinoci`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			app, err := readTestLock(tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrUnsupported) {
					t.Errorf("err = %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if app.SpinLockVersion != tt.version {
				t.Errorf("version = %d, want %d", app.SpinLockVersion, tt.version)
			}
			var ids []string
			for _, c := range app.Components {
				ids = append(ids, c.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.components, ",") {
				t.Errorf("components = %v, want %v", ids, tt.components)
			}
		})
	}
}

func TestParseSIP008Fields(t *testing.T) {
	app, err := readTestLock("sip008-v0.lock")
	if err != nil {
		t.Fatal(err)
	}
	c, ok := app.Component("github-star-webhook")
	if !ok {
		t.Fatal("component not found")
	}
	if c.Source.ContentType != "application/wasm" || c.Source.Digest != "sha256:55c29ad4b0ad0c6bd8ec1ffc8f04e63342e5901280037ef706b1b114475d3cbb" {
		t.Errorf("source = %+v", c.Source)
	}
	if len(c.Files) != 1 || c.Files[0].Path != "my-file.json" || c.Files[0].Inline != nil {
		t.Errorf("files = %+v", c.Files)
	}
	hosts, err := c.MetadataStrings("allowed_http_hosts")
	if err != nil || len(hosts) != 1 || hosts[0] != "https://hooks.slack.com" {
		t.Errorf("allowed_http_hosts = %v, %v", hosts, err)
	}
}

func TestParseInlineEmptyIsDistinctFromAbsent(t *testing.T) {
	app, err := Parse([]byte(`{"spin_lock_version":0,"triggers":[],"components":[{"id":"a","source":{"content_type":"application/wasm","digest":"sha256:x"},
		"files":[{"inline":"","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","path":"empty"},{"digest":"sha256:y","path":"other"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	f := app.Components[0].Files
	if f[0].Inline == nil || *f[0].Inline != "" {
		t.Errorf("empty inline = %v, want pointer to \"\"", f[0].Inline)
	}
	if f[1].Inline != nil {
		t.Errorf("absent inline = %q, want nil", *f[1].Inline)
	}
}

func TestParseValidation(t *testing.T) {
	const comps = `"triggers":[],"components":[{"id":"c","source":{"content_type":"application/wasm","digest":"sha256:x"}%s}]`
	lock := func(top, comp string) string {
		s := `{` + top + `,` + strings.Replace(comps, "%s", comp, 1) + `}`
		return s
	}
	tests := []struct {
		name        string
		json        string
		wantErr     string // empty: must parse
		unsupported bool
	}{
		{name: "v0", json: lock(`"spin_lock_version":0`, "")},
		{name: "v1", json: lock(`"spin_lock_version":1`, "")},
		{name: "version absent means 0", json: `{"triggers":[],"components":[]}`},
		{name: "v2 refused", json: lock(`"spin_lock_version":2`, ""),
			wantErr: "lock: spin_lock_version 2 is not supported by spinoci", unsupported: true},
		{name: "v-1 refused", json: lock(`"spin_lock_version":-1`, ""),
			wantErr: "spin_lock_version -1 is not supported", unsupported: true},
		{name: "version not a number", json: lock(`"spin_lock_version":"1"`, ""), wantErr: "lock: decode"},
		{name: "known must_understand", json: lock(`"spin_lock_version":1,"must_understand":["host_requirements","component_host_requirements"]`, "")},
		{name: "unknown must_understand", json: lock(`"spin_lock_version":1,"must_understand":["host_requirements","foo"]`, ""),
			wantErr: `lock: must_understand entry "foo" is not supported by spinoci`, unsupported: true},
		{name: "app optional requirement", json: lock(`"spin_lock_version":1,"must_understand":["host_requirements"],"host_requirements":{"local_service_chaining":"optional"}`, "")},
		{name: "app required requirement", json: lock(`"spin_lock_version":1,"must_understand":["host_requirements"],"host_requirements":{"local_service_chaining":"required"}`, ""),
			wantErr: `lock: host requirement "local_service_chaining" is required but not supported by spinoci`, unsupported: true},
		{name: "app required, first key named", json: lock(`"spin_lock_version":1,"host_requirements":{"zz":"optional","middleware":"required","yy":"required"}`, ""),
			wantErr: `host requirement "middleware" is required`, unsupported: true},
		{name: "app requirement odd value", json: lock(`"spin_lock_version":1,"host_requirements":{"x":true}`, ""),
			wantErr: `host requirement "x" has value true`},
		{name: "component optional requirement", json: lock(`"spin_lock_version":1`, `,"host_requirements":{"local_service_chaining":"optional"}`)},
		{name: "component required requirement", json: lock(`"spin_lock_version":1,"must_understand":["component_host_requirements"]`, `,"host_requirements":{"local_service_chaining":"required"}`),
			wantErr: `lock: component "c": host requirement "local_service_chaining" is required but not supported by spinoci`, unsupported: true},
		{name: "unknown top-level fields ignored", json: lock(`"spin_lock_version":0,"future":{"a":[1,2]},"trigger_dependencies":{}`, "")},
		{name: "duplicate component ids", json: `{"triggers":[],"components":[{"id":"c","source":{}},{"id":"c","source":{}}]}`,
			wantErr: `component "c" is declared more than once`},
		{name: "component without id", json: `{"triggers":[],"components":[{"source":{}}]}`, wantErr: "component #0 has no id"},
		{name: "not json", json: `spin_lock_version = 0`, wantErr: "lock: decode"},
		{name: "trailing data", json: `{"components":[]} {}`, wantErr: "unexpected data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := errors.Is(err, ErrUnsupported); got != tt.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v", got, tt.unsupported)
			}
		})
	}
}
