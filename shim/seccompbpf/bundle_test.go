package seccompbpf_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/seccompbpf"
	"github.com/spinoci/spinoci/shim/seccompbpf/compiler"
)

// TestFilterInTheBundle: the program compiler.WriteFilter leaves in a bundle is the
// one Compile makes, and seccompbpf.ReadFilter reads it back; no profile writes no
// file, and a bad profile fails naming it, writing nothing.
func TestFilterInTheBundle(t *testing.T) {
	profile := seccomp.DefaultProfile(&specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}})
	want, err := compiler.Compile(profile)
	if err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	if err := compiler.WriteFilter(bundle, profile); err != nil {
		t.Fatal(err)
	}
	got, err := seccompbpf.ReadFilter(bundle)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("read back %d instructions (%v), want the %d compiled", len(got), err, len(want))
	}

	none := t.TempDir()
	if err := compiler.WriteFilter(none, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := seccompbpf.ReadFilter(none); err == nil || !strings.Contains(err.Error(), "start action") {
		t.Errorf("a bundle without a filter: %v, want an error naming the start action", err)
	}
	bad := t.TempDir()
	err = compiler.WriteFilter(bad, &specs.LinuxSeccomp{DefaultAction: specs.ActNotify})
	if err == nil || !strings.Contains(err.Error(), "seccomp profile") {
		t.Errorf("a bad profile: %v, want an error naming the seccomp profile", err)
	}
	if entries, _ := os.ReadDir(bad); len(entries) != 0 {
		t.Errorf("a bad profile left %v in the bundle", entries)
	}
}

// TestReadFilterRefusesAMangledFile: a file that is not whole instructions,
// or empty, is refused.
func TestReadFilterRefusesAMangledFile(t *testing.T) {
	for _, data := range [][]byte{nil, make([]byte, 12)} {
		bundle := t.TempDir()
		if err := os.WriteFile(filepath.Join(bundle, seccompbpf.FilterFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := seccompbpf.ReadFilter(bundle); err == nil || !strings.Contains(err.Error(), "not a program") {
			t.Errorf("%d bytes: %v, want a refusal", len(data), err)
		}
	}
}
