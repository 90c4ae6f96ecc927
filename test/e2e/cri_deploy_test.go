package e2e

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/pelletier/go-toml/v2"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// k3sBaseStub stands in for k3s's own "base" template: a minimal valid
// containerd 2.x configuration with the CRI runtime table k3s writes.
const k3sBaseStub = `version = 3
root = "{{ .Root }}"
state = "{{ .State }}"

[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = "runc"

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
`

// k3sBaseStubV2 is k3sBaseStub as k3s releases on containerd 1.7 write it:
// configuration version 2 and its plugin names.
var k3sBaseStubV2 = strings.ReplaceAll(strings.Replace(k3sBaseStub, "version = 3", "version = 2", 1),
	"'io.containerd.cri.v1.runtime'", `"io.containerd.grpc.v1.cri"`)

// renderK3sTemplate renders a config-v3.toml.tmpl (or config.toml.tmpl) the
// way k3s does: the user template parsed with text/template, "base" (the
// given stub) defined next to it, then executed with the node's data.
func renderK3sTemplate(t *testing.T, userTemplate, baseStub string, data any) string {
	t.Helper()
	tmpl, err := template.New("compiled_template").Parse(userTemplate)
	if err != nil {
		t.Fatalf("parsing the k3s template: %v", err)
	}
	if _, err := tmpl.New("base").Parse(baseStub); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		t.Fatalf("rendering the k3s template: %v", err)
	}
	return out.String()
}

// withPodAnnotations names the variant of a deploy config with its optional
// pod_annotations line in force; withSharedHandler the variant with its
// optional second handler, whose runtime options name a server group.
const (
	withPodAnnotations = " (pod_annotations)"
	withSharedHandler  = " (shared handler)"
)

// sharedHandlerLines are the commented-out lines of the optional second
// handler: its tables and their indented keys.
var sharedHandlerLines = regexp.MustCompile(`(?m)^# (\[plugins\..*\.spinoci-shared(\.options)?\]|  .*)$`)

// TestDeployConfigs checks the deploy/ material: the k3s templates render
// and, like the containerd snippets (on top of the same base), are accepted
// by each pinned containerd that reads their configuration version
// (`containerd config dump`; 1.7 reads version 2 only), which then lists
// the spinoci runtime; the Kubernetes manifests use the same handler.
func TestDeployConfigs(t *testing.T) {
	paths := harness.LoadPaths()
	deploy := filepath.Join(harness.RepoRoot(), "deploy")
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(deploy, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	dir := t.TempDir()
	data := struct{ Root, State string }{filepath.Join(dir, "root"), filepath.Join(dir, "state")}
	base := renderK3sTemplate(t, `{{ template "base" . }}`, k3sBaseStub, data)
	baseV2 := renderK3sTemplate(t, `{{ template "base" . }}`, k3sBaseStubV2, data)
	configs := map[string]string{
		"k3s/config-v3.toml.tmpl":   renderK3sTemplate(t, read("k3s/config-v3.toml.tmpl"), k3sBaseStub, data),
		"containerd/config-v3.toml": base + "\n" + read("containerd/config-v3.toml"),
		// containerd 2.x migrates version 2 configurations (with their
		// version 2 plugin names) on load; 1.7 reads only those.
		"containerd/config-v2.toml": baseV2 + "\n" + read("containerd/config-v2.toml"),
		"k3s/config.toml.tmpl":      renderK3sTemplate(t, read("k3s/config.toml.tmpl"), k3sBaseStubV2, data),
	}
	// Each also with its optional line that lets pods share a shim server.
	const optionalPodAnnotations = "  # pod_annotations = "
	for name, config := range maps.Clone(configs) {
		if !strings.Contains(config, optionalPodAnnotations) {
			t.Errorf("%s lacks the optional line %q", name, optionalPodAnnotations)
			continue
		}
		configs[name+withPodAnnotations] = strings.Replace(config, optionalPodAnnotations, "  pod_annotations = ", 1)
		if len(sharedHandlerLines.FindAllString(config, -1)) != 5 {
			t.Errorf("%s lacks the optional handler %s (two tables, three keys, commented out)", name, harness.SharedRuntimeHandler)
			continue
		}
		configs[name+withSharedHandler] = sharedHandlerLines.ReplaceAllString(config, "$1")
	}

	for _, v := range harness.ContainerdVersions() {
		bin, _ := paths.Containerd(v)
		if _, err := os.Stat(bin); err != nil {
			if ci := os.Getenv("CI"); ci != "" && ci != "false" {
				t.Fatalf("containerd %s missing: %v", v, err)
			}
			t.Skipf("containerd %s missing (%v): run `make tools`", v, err)
		}
		// The CRI plugin holding the runtimes in the dump.
		criPlugin := "io.containerd.cri.v1.runtime"
		if harness.UsesConfigVersion2(v) {
			criPlugin = "io.containerd.grpc.v1.cri"
		}
		for name, config := range configs {
			if harness.UsesConfigVersion2(v) && !strings.HasPrefix(config, "version = 2") {
				continue // containerd 1.7 does not read version 3
			}
			t.Run(v+"/"+name, func(t *testing.T) {
				file := filepath.Join(dir, strings.NewReplacer("/", "-", ".", "-").Replace(v+name)+".toml")
				if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(bin, "--config", file, "config", "dump")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("containerd %s config dump rejects %s: %v\n%s\nconfig:\n%s", v, name, err, stderr.String(), config)
				}
				var dump struct {
					Plugins map[string]struct {
						Containerd struct {
							Runtimes map[string]struct {
								RuntimeType    string         `toml:"runtime_type"`
								RuntimePath    string         `toml:"runtime_path"`
								PodAnnotations []string       `toml:"pod_annotations"`
								Options        map[string]any `toml:"options"`
							} `toml:"runtimes"`
						} `toml:"containerd"`
					} `toml:"plugins"`
				}
				if err := toml.Unmarshal(stdout.Bytes(), &dump); err != nil {
					t.Fatalf("decoding the dump: %v\n%s", err, stdout.String())
				}
				rt, ok := dump.Plugins[criPlugin].Containerd.Runtimes[harness.RuntimeHandler]
				if !ok || rt.RuntimeType != harness.RuntimeType || rt.RuntimePath != "/usr/local/bin/"+harness.ShimBinary {
					t.Errorf("the dump has runtime %q = %+v (present %v), want type %s", harness.RuntimeHandler, rt, ok, harness.RuntimeType)
				}
				wantPodAnnotations := []string(nil)
				if strings.HasSuffix(name, withPodAnnotations) {
					wantPodAnnotations = []string{harness.GroupAnnotation}
				}
				if !slices.Equal(rt.PodAnnotations, wantPodAnnotations) {
					t.Errorf("the dump's runtime %q passes pod annotations %q on, want %q", harness.RuntimeHandler, rt.PodAnnotations, wantPodAnnotations)
				}
				shared, ok := dump.Plugins[criPlugin].Containerd.Runtimes[harness.SharedRuntimeHandler]
				if strings.HasSuffix(name, withSharedHandler) {
					if !ok || shared.RuntimeType != harness.RuntimeType || shared.Options["Group"] != harness.SharedRuntimeGroup {
						t.Errorf("the dump has runtime %q = %+v (present %v), want type %s with options Group = %q",
							harness.SharedRuntimeHandler, shared, ok, harness.RuntimeType, harness.SharedRuntimeGroup)
					}
				} else if ok {
					t.Errorf("the dump has the optional runtime %q in force", harness.SharedRuntimeHandler)
				}
				if _, ok := dump.Plugins[criPlugin].Containerd.Runtimes["runc"]; !ok {
					t.Errorf("the base configuration's runc runtime is gone from the dump")
				}
			})
		}
	}

	rc := read("kubernetes/runtimeclass.yaml")
	app := read("kubernetes/example-app.yaml")
	for _, want := range []string{"\nhandler: " + harness.RuntimeHandler + "\n", "\n# handler: " + harness.SharedRuntimeHandler + "\n"} {
		if !strings.Contains(rc, want) {
			t.Errorf("runtimeclass.yaml lacks %q", want)
		}
	}
	for _, want := range []string{"runtimeClassName: spinoci", `command: ["/"]`, "SPIN_HTTP_LISTEN_ADDR", "kind: Service"} {
		if !strings.Contains(app, want) {
			t.Errorf("example-app.yaml lacks %s", want)
		}
	}
}
