package buildinfo

import (
	"strings"
	"testing"
)

func TestTextNamesEveryField(t *testing.T) {
	got := Text("spinoci", "39.0.1", "task API: v3")
	for _, want := range []string{"spinoci " + Version() + "\n", "commit: ", "wasmtime: 39.0.1\n", "go: go", "task API: v3\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Text() = %q, want it to contain %q", got, want)
		}
	}
}

func TestUserAgentCarriesVersion(t *testing.T) {
	if got, want := UserAgent("spinoci"), "spinoci/"+Version(); got != want {
		t.Errorf("UserAgent = %q, want %q", got, want)
	}
}
