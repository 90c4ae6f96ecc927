package shim

import (
	"slices"
	"testing"

	"github.com/spinoci/spinoci/shim/appproto"
)

// TestChildEnvironment: an app whose container sets no GOMAXPROCS starts on
// one P and is told so on its command line; an app whose container sets it,
// a compile stage and a pause process (no Go) get neither. The variables
// glibc reads at start-up are held back under another name, the container's
// values of the shim's own variables dropped; every child is told where to
// report a failure before its Go runtime starts; a compile stage's glibc gives
// its malloc huge pages, and a top pad when it pads its heap.
func TestChildEnvironment(t *testing.T) {
	errFD := appproto.EnvErrorFD + "=4" // the constructor reports failures on the status pipe
	nsEnv := []string{"_SPINOCI_NS=x"}
	for _, tc := range []struct {
		name    string
		launch  appLaunch
		want    []string
		oneProc bool // the app's --one-proc
	}{
		{"pause", appLaunch{pause: true}, []string{"_SPINOCI_NS=x", errFD}, false},
		{"app", appLaunch{env: []string{"A=1"}}, []string{"A=1", "_SPINOCI_NS=x", errFD, appproto.OneProcEnv}, true},
		{"app setting GOMAXPROCS", appLaunch{env: []string{"GOMAXPROCS=4"}}, []string{"GOMAXPROCS=4", "_SPINOCI_NS=x", errFD}, false},
		{"compile stage", appLaunch{env: []string{"A=1"}, compileOnly: true},
			[]string{"A=1", "_SPINOCI_NS=x", errFD, "GLIBC_TUNABLES=" + compilerTunables}, false},
		{"compile stage padding its heap", appLaunch{env: []string{"A=1"}, compileOnly: true, padCompileHeap: true},
			[]string{"A=1", "_SPINOCI_NS=x", errFD, "GLIBC_TUNABLES=" + compilerTunables + ":glibc.malloc.top_pad=67108864"}, false},
		{"compile stage of a container setting glibc's tunables", appLaunch{env: []string{"GLIBC_TUNABLES=glibc.malloc.arena_max=2", "A=1"}, compileOnly: true},
			[]string{"_SPINOCI_HELD_GLIBC_TUNABLES=glibc.malloc.arena_max=2", "A=1", "_SPINOCI_NS=x", errFD, "GLIBC_TUNABLES=" + compilerTunables}, false},
		{"app of a container setting the loader's variables", appLaunch{env: []string{"LD_PRELOAD=/x.so", "MALLOC_ARENA_MAX=2", "OLD_LD_PATH=y"}},
			[]string{"_SPINOCI_HELD_LD_PRELOAD=/x.so", "_SPINOCI_HELD_MALLOC_ARENA_MAX=2", "OLD_LD_PATH=y", "_SPINOCI_NS=x", errFD, appproto.OneProcEnv}, true},
		{"app of a container setting the shim's variables", appLaunch{env: []string{appproto.EnvJoin + "=net=/proc/1/ns/net", "A=1", appproto.HeldEnvPrefix + "B=2"}},
			[]string{"A=1", "_SPINOCI_NS=x", errFD, appproto.OneProcEnv}, true},
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
