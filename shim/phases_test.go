package shim

import (
	"testing"
	"time"

	"github.com/spinoci/spinoci/shim/appproto"
)

// TestPhaseTimerStartup: an app's start is logged step by step from its
// ready line's times against the shim's exec; a step whose time, or whose
// predecessor's, is unknown is left out rather than measured from the
// wrong point.
func TestPhaseTimerStartup(t *testing.T) {
	exec := time.Unix(100, 0)
	at := func(ms int) int64 { return exec.Add(time.Duration(ms) * time.Millisecond).UnixNano() }
	cases := []struct {
		name    string
		startup appproto.Startup
		want    map[string]string
	}{
		{"every step", appproto.Startup{Constructor: at(1), Confined: at(3), Main: at(6), Ready: at(10)},
			map[string]string{"app_exec": "1ms", "app_confine": "2ms", "app_runtime": "3ms", "app_load": "4ms"}},
		{"no constructor times", appproto.Startup{Main: at(6), Ready: at(10)},
			map[string]string{"app_load": "4ms"}},
		{"nothing", appproto.Startup{}, map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPhaseTimer()
			p.startup(exec, c.startup)
			for _, step := range []string{"app_exec", "app_confine", "app_runtime", "app_load"} {
				v, ok := p.fields[step]
				got, _ := v.(string)
				if want, wantOK := c.want[step]; ok != wantOK || got != want {
					t.Errorf("%s = %q (logged: %v), want %q (logged: %v)", step, got, ok, want, wantOK)
				}
			}
		})
	}
	var none *phaseTimer
	none.startup(exec, appproto.Startup{Constructor: at(1)}) // a nil timer records nothing
}
