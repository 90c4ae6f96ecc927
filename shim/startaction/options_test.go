package startaction

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	bootstrap "github.com/containerd/containerd/api/runtime/bootstrap/v1"
	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
)

// optionsAny is what containerd's CRI makes of a runtime's options table
// for a runtime type other than runc.
func optionsAny(t *testing.T, o *runtimeoptions.Options) *anypb.Any {
	t.Helper()
	a, err := anypb.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRuntimeOptions decodes the options as containerd 1.7 to 2.2 write
// them on stdin (the Any alone) and as 2.3 and later put them in the
// bootstrap parameters' extensions, from the options table's TOML or the
// file config_path names.
func TestRuntimeOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "spinoci.toml")
	if err := os.WriteFile(file, []byte("Group = \"from-file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := optionsAny(t, &runtimeoptions.Options{ConfigBody: []byte("Group = \"node\"\n")})
	path := optionsAny(t, &runtimeoptions.Options{ConfigPath: file})
	other := optionsAny(t, &runtimeoptions.Options{})
	other.TypeUrl = "type.googleapis.com/containerd.runc.v1.Options"
	params := func(exts ...*anypb.Any) []byte {
		p := &bootstrap.BootstrapParams{InstanceID: "c1", Namespace: "default"}
		empty, err := anypb.New(&emptypb.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		p.Extensions = append(p.Extensions, &bootstrap.Extension{Value: empty}) // another type first
		for _, e := range exts {
			p.Extensions = append(p.Extensions, &bootstrap.Extension{Value: e})
		}
		return marshal(t, p)
	}
	for _, tc := range []struct {
		name       string
		input      []byte
		fromDaemon bool
		want       string
	}{
		{"no input", nil, false, ""},
		{"stdin: options' TOML", marshal(t, body), false, "node"},
		{"stdin: options' file", marshal(t, path), false, "from-file"},
		{"stdin: options of another type", marshal(t, other), false, ""},
		{"bootstrap: options' TOML", params(body), true, "node"},
		{"bootstrap: options' file", params(path), true, "from-file"},
		{"bootstrap: no options", params(), true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runtimeOptions(tc.input, tc.fromDaemon)
			if err != nil || got.Group != tc.want {
				t.Errorf("group %q, %v; want %q", got.Group, err, tc.want)
			}
		})
	}
}

// TestRuntimeOptionsErrors: a misspelt key, bad TOML and a missing file
// are errors that say what is wrong.
func TestRuntimeOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *runtimeoptions.Options
		want string
	}{
		{"unknown key", &runtimeoptions.Options{ConfigBody: []byte("Group = \"a\"\nGrup = \"b\"\n")}, "unknown option Grup"},
		{"bad TOML", &runtimeoptions.Options{ConfigBody: []byte("Group = \n")}, "runtime options:"},
		{"missing file", &runtimeoptions.Options{ConfigPath: "/nonexistent/spinoci.toml"}, "/nonexistent/spinoci.toml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runtimeOptions(marshal(t, optionsAny(t, tc.opts)), false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
