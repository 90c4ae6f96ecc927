package lock

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestHTTPTriggersSpecExamples(t *testing.T) {
	tests := []struct {
		file string
		want []HTTPTrigger
	}{
		{file: "sip008-v0.lock", want: []HTTPTrigger{{
			ID: "trigger--github-star-webhook", Component: "github-star-webhook", Route: "/...",
			Executor: Executor{Type: ExecutorSpin},
		}}},
		{file: "wagi-custom-entrypoint-v0.lock", want: []HTTPTrigger{{
			ID: "trigger--wagi", Component: "wagi", Route: "/wagi/...",
			Executor: Executor{Type: ExecutorWagi, Entrypoint: "custom-entrypoint", Argv: DefaultWagiArgv},
		}}}, // the redis trigger is skipped
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			app, err := readTestLock(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := app.HTTPTriggers()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("HTTPTriggers =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestHTTPTriggerConfig(t *testing.T) {
	app := func(config string) *LockedApp {
		return &LockedApp{
			Triggers:   []Trigger{{ID: "t", TriggerType: "http", TriggerConfig: []byte(config)}},
			Components: []Component{{ID: "c"}},
		}
	}
	spin := Executor{Type: ExecutorSpin}
	tests := []struct {
		name        string
		config      string
		want        HTTPTrigger
		wantErr     string
		unsupported bool
	}{
		{name: "executor null", config: `{"component":"c","route":"/","executor":null}`,
			want: HTTPTrigger{ID: "t", Component: "c", Route: "/", Executor: spin}},
		{name: "executor absent", config: `{"component":"c","route":"/a/..."}`,
			want: HTTPTrigger{ID: "t", Component: "c", Route: "/a/...", Executor: spin}},
		{name: "executor spin", config: `{"component":"c","route":"/","executor":{"type":"spin"}}`,
			want: HTTPTrigger{ID: "t", Component: "c", Route: "/", Executor: spin}},
		{name: "executor http", config: `{"component":"c","route":"/","executor":{"type":"http"}}`,
			want: HTTPTrigger{ID: "t", Component: "c", Route: "/", Executor: spin}},
		{name: "wagi defaults", config: `{"component":"c","route":"/","executor":{"type":"wagi"}}`,
			want: HTTPTrigger{ID: "t", Component: "c", Route: "/", Executor: Executor{Type: ExecutorWagi, Entrypoint: "_start", Argv: "${SCRIPT_NAME} ${ARGS}"}}},
		{name: "wagi custom", config: `{"component":"c","route":"/","executor":{"type":"wagi","entrypoint":"main","argv":"${ARGS}"}}`,
			want: HTTPTrigger{ID: "t", Component: "c", Route: "/", Executor: Executor{Type: ExecutorWagi, Entrypoint: "main", Argv: "${ARGS}"}}},
		{name: "private route", config: `{"component":"c","route":{"private":true}}`,
			want: HTTPTrigger{ID: "t", Component: "c", Private: true, Executor: spin}},
		{name: "route private false", config: `{"component":"c","route":{"private":false}}`, wantErr: "neither a string"},
		{name: "route missing", config: `{"component":"c"}`, wantErr: "no route"},
		{name: "unknown executor", config: `{"component":"c","route":"/","executor":{"type":"grpc"}}`,
			wantErr: `lock: http trigger "t": executor type "grpc" is not supported by spinoci`, unsupported: true},
		{name: "executor without type", config: `{"component":"c","route":"/","executor":{}}`, wantErr: "has no type"},
		{name: "executor not an object", config: `{"component":"c","route":"/","executor":"spin"}`, wantErr: "executor"},
		{name: "unknown component", config: `{"component":"nope","route":"/"}`,
			wantErr: `lock: http trigger "t": component "nope" does not exist`},
		{name: "static response", config: `{"route":"/","static_response":{"status_code":404}}`,
			wantErr: "static_response triggers are not supported", unsupported: true},
		{name: "no component", config: `{"route":"/"}`, wantErr: "no component"},
		{name: "no config", config: `null`, wantErr: "no trigger_config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app(tt.config).HTTPTriggers()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if errors.Is(err, ErrUnsupported) != tt.unsupported {
					t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v", !tt.unsupported, tt.unsupported)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHTTPTriggersSkipsOtherTypes(t *testing.T) {
	app := &LockedApp{
		Triggers: []Trigger{
			{ID: "r", TriggerType: "redis", TriggerConfig: []byte(`{"component":"missing","channel":"x"}`)},
			{ID: "h", TriggerType: "http", TriggerConfig: []byte(`{"component":"c","route":"/"}`)},
		},
		Components: []Component{{ID: "c"}},
	}
	got, err := app.HTTPTriggers()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "h" {
		t.Errorf("got %+v, want only trigger h", got)
	}
}

func TestHTTPBase(t *testing.T) {
	tests := []struct {
		name, metadata, want string
	}{
		{"no metadata", ``, "/"},
		{"no trigger", `{"name":"x"}`, "/"},
		{"no base", `{"trigger":{"type":"http"}}`, "/"},
		{"root", `{"trigger":{"type":"http","base":"/"}}`, "/"},
		{"absolute", `{"trigger":{"type":"http","base":"/api"}}`, "/api"},
		{"leading slash added", `{"trigger":{"type":"http","base":"api/v1"}}`, "/api/v1"},
		{"not an object", `{"trigger":"http"}`, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"components":[]}`
			if tt.metadata != "" {
				doc = `{"components":[],"metadata":` + tt.metadata + `}`
			}
			app, err := Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := app.HTTPBase(); got != tt.want {
				t.Errorf("HTTPBase = %q, want %q", got, tt.want)
			}
		})
	}
}
