package shim

import (
	"slices"
	"testing"

	"github.com/spinoci/spinoci/shim/appproto"
)

// TestChildEnvironment: an app whose container sets no GOMAXPROCS starts on
// one P and is told so on its command line; an app whose container sets it,
// a compile stage and a pause process (no Go) get neither. A compile stage's
// glibc gives its malloc huge pages, after the container's own tunables.
func TestChildEnvironment(t *testing.T) {
	nsEnv := []string{"_SPINOCI_NS=x"}
	for _, tc := range []struct {
		name    string
		launch  appLaunch
		want    []string
		oneProc bool // the app's --one-proc
	}{
		{"pause", appLaunch{pause: true}, []string{"_SPINOCI_NS=x"}, false},
		{"app", appLaunch{env: []string{"A=1"}}, []string{"A=1", "_SPINOCI_NS=x", appproto.OneProcEnv}, true},
		{"app setting GOMAXPROCS", appLaunch{env: []string{"GOMAXPROCS=4"}}, []string{"GOMAXPROCS=4", "_SPINOCI_NS=x"}, false},
		{"compile stage", appLaunch{env: []string{"A=1"}, compileOnly: true},
			[]string{"A=1", "_SPINOCI_NS=x", "GLIBC_TUNABLES=" + compilerTunables}, false},
		{"compile stage of a container setting glibc's tunables", appLaunch{env: []string{"GLIBC_TUNABLES=glibc.malloc.arena_max=2", "A=1"}, compileOnly: true},
			[]string{"GLIBC_TUNABLES=glibc.malloc.arena_max=2:" + compilerTunables, "A=1", "_SPINOCI_NS=x"}, false},
		{"app of a container setting glibc's tunables", appLaunch{env: []string{"GLIBC_TUNABLES=glibc.malloc.arena_max=2"}},
			[]string{"GLIBC_TUNABLES=glibc.malloc.arena_max=2", "_SPINOCI_NS=x", appproto.OneProcEnv}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.launch.childEnv(nsEnv); !slices.Equal(got, tc.want) {
				t.Errorf("environment %q, want %q", got, tc.want)
			}
			if got := slices.Contains(tc.launch.args(), "--one-proc"); got != tc.oneProc {
				t.Errorf("--one-proc on the command line %q: %v, want %v", tc.launch.args(), got, tc.oneProc)
			}
		})
	}
}
