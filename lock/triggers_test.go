package lock

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func triggersApp() *LockedApp {
	trig := func(id, typ, comp string) Trigger {
		cfg, _ := json.Marshal(map[string]string{"component": comp})
		return Trigger{ID: id, TriggerType: typ, TriggerConfig: cfg}
	}
	return &LockedApp{
		Triggers:   []Trigger{trig("a", "http", "a"), trig("b", "cron", "b"), trig("c", "sqs", "c"), trig("c2", "cron", "c")},
		Components: []Component{{ID: "a"}, {ID: "b"}, {ID: "c"}},
	}
}

func TestCheckTriggerTypes(t *testing.T) {
	err := triggersApp().CheckTriggerTypes()
	want := `trigger type "cron", "sqs" is not supported by spinoci (supported trigger types: http, redis, mqtt, command)`
	if err == nil || err.Error() != want || !errors.Is(err, ErrUnsupported) {
		t.Errorf("CheckTriggerTypes = %v, want %q", err, want)
	}
	if got := triggersApp().Triggers[1].Component(); got != "b" {
		t.Errorf("Component = %q", got)
	}
}

func TestRetainComponents(t *testing.T) {
	app := triggersApp()
	kept, err := app.RetainComponents([]string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept.Triggers) != 1 || kept.Triggers[0].ID != "a" || len(kept.Components) != 1 || kept.CheckTriggerTypes() != nil {
		t.Errorf("retained %+v", kept)
	}
	if len(app.Triggers) != 4 || len(app.Components) != 3 {
		t.Error("RetainComponents changed the app")
	}
	_, err = app.RetainComponents([]string{"a", "x", "y"})
	if err == nil || !strings.Contains(err.Error(), `not found in the application: "x", "y"`) {
		t.Errorf("unknown ids: %v", err)
	}
}
