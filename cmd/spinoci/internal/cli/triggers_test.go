package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInspectWarnsUnsupportedTrigger: an app with a trigger type spinoci
// does not run is inspected, with a warning naming it.
func TestInspectWarnsUnsupportedTrigger(t *testing.T) {
	dir := appDir(t, "spin2")
	toml := `spin_manifest_version = 2
[application]
name = "cron-app"
[[trigger.http]]
route = "/..."
component = "hello"
[[trigger.cron]]
component = "tick"
[component.hello]
source = "apps/hello.wasm"
[component.tick]
source = "apps/hello.wasm"
`
	if err := os.WriteFile(filepath.Join(dir, "spin.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := spinoci(t, "inspect", dir)
	if code != 0 {
		t.Fatalf("inspect: exit %d\n%s", code, stderr)
	}
	want := `Warning: trigger "tick-cron-trigger" of component "tick" has type "cron", which spinoci does not run (supported: http, redis, mqtt, command)`
	if !strings.Contains(stderr, want) || !regexp.MustCompile(`Trigger +cron tick-cron-trigger`).MatchString(stdout) {
		t.Errorf("stderr %q lacks %q, or stdout lacks the trigger:\n%s", stderr, want, stdout)
	}
}
