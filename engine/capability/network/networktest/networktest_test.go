package networktest

import "testing"

func TestAllowList(t *testing.T) {
	a := AllowList(t, "redis://127.0.0.1:6379")
	if !a.AllowedEndpoint("redis", "127.0.0.1", 6379) {
		t.Errorf("the allow-list of redis://127.0.0.1:6379 does not allow it")
	}
	if a.AllowedEndpoint("redis", "127.0.0.1", 6380) {
		t.Errorf("the allow-list of redis://127.0.0.1:6379 allows port 6380")
	}
}
