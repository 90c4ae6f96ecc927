package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/humanize"
	"github.com/spinoci/spinoci/lock"
)

var update = flag.Bool("update", false, "rewrite the golden files and docs/cli.md")

// created pins the created annotation so that manifests are reproducible.
const created = "org.opencontainers.image.created=2025-01-01T00:00:00Z"

// spinoci runs the command line in-process.
func spinoci(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

// appDir copies cmd/spinoci/testdata/<name> into a temporary directory
// with small placeholder apps/*.wasm (distinct, deterministic bytes), so
// that pushed digests are stable.
func appDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "testdata", name))); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, app := range []string{"hello.wasm", "spin-go.wasm", "wagi-go.wasm"} {
		// A module with a custom section; spin-go's is over 128 bytes, so
		// its source is not inlined in the lock.
		payload := strings.Repeat(app, 1+i*10)
		b := append([]byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00, 0x00, byte(len(payload) + 1), 0x00}, payload...)
		if err := os.WriteFile(filepath.Join(dir, "apps", app), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pushed is what a push left in the test registry.
type pushed struct {
	manifestDigest digest.Digest
	manifestJSON   []byte
	manifest       ocispec.Manifest
	configJSON     []byte
	lockJSON       []byte
	lock           *lock.LockedApp
}

func push(t *testing.T, reg *testRegistry, host, repoTag, dir string, extra ...string) pushed {
	t.Helper()
	args := append([]string{"push", "--cache-dir", t.TempDir(), "--plain-http", "--from", dir,
		"--annotation", created, host + "/" + repoTag}, extra...)
	stdout, stderr, code := spinoci(t, args...)
	if code != 0 {
		t.Fatalf("spinoci push: exit %d\n%s", code, stderr)
	}
	var p pushed
	p.manifestDigest, p.manifestJSON = reg.tagged(t, repoTag)
	if got := strings.TrimSpace(stdout); got != p.manifestDigest.String() {
		t.Errorf("push printed %q, want the manifest digest %s", got, p.manifestDigest)
	}
	if err := json.Unmarshal(p.manifestJSON, &p.manifest); err != nil {
		t.Fatal(err)
	}
	p.configJSON = reg.blob(t, p.manifest.Config.Digest)
	p.lockJSON = p.configJSON
	if p.manifest.Config.MediaType != artifact.MediaTypeSpinApplication {
		last := p.manifest.Layers[len(p.manifest.Layers)-1]
		p.lockJSON = reg.blob(t, last.Digest)
	}
	var err error
	if p.lock, err = lock.Parse(p.lockJSON); err != nil {
		t.Fatalf("pushed lock: %v", err)
	}
	return p
}

// golden compares got with testdata/golden/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/spinoci/internal/cli -update)", err)
	}
	if string(got) != strings.TrimSuffix(string(want), "\n") {
		t.Errorf("%s differs from the golden file %s:\n got %s\nwant %s", name, p, got, want)
	}
}

func layerTypes(m ocispec.Manifest) []string {
	var out []string
	for _, l := range m.Layers {
		out = append(out, layerKind(l.MediaType))
	}
	return out
}

func TestPushGolden(t *testing.T) {
	reg, host := startTestRegistry(t)
	for _, tc := range []struct {
		name, app string
		extra     []string
		layers    string
	}{
		// hello, index.html (shared with spin-go: pushed once), spin-go, wagi-go, lock.
		{name: "spin1-b", app: "spin1", layers: "wasm data wasm wasm lock"},
		// hello (shared with hello-again: pushed once), data.json, spin-go, wagi-go, lock;
		// static/empty.txt is inlined.
		{name: "spin2-b", app: "spin2", layers: "wasm data wasm wasm lock"},
		// Format A: the config is the lock.
		{name: "spin1-a", app: "spin1", extra: []string{"--format", "a"}, layers: "wasm data wasm wasm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := push(t, reg, host, "golden/"+tc.name+":v1", appDir(t, tc.app), tc.extra...)
			if got := strings.Join(layerTypes(p.manifest), " "); got != tc.layers {
				t.Errorf("layers %q, want %q", got, tc.layers)
			}
			golden(t, tc.name+".manifest.json", p.manifestJSON)
			golden(t, tc.name+".config.json", p.configJSON)
			if !bytes.Equal(p.configJSON, p.lockJSON) {
				golden(t, tc.name+".lock.json", p.lockJSON)
			}
		})
	}
}

// TestPushStructure checks what the goldens encode, so that a reviewer
// need not read them: config, annotations, inlining, dedup.
func TestPushStructure(t *testing.T) {
	reg, host := startTestRegistry(t)
	p := push(t, reg, host, "s/spin1:v1", appDir(t, "spin1"), "--annotation", "com.example.team=wasm")

	lockDigest := p.manifest.Layers[len(p.manifest.Layers)-1].Digest
	wantConfig := `{"architecture":"wasm","os":"wasip1","config":{"Labels":{"com.fermyon.spin.lockedAppDigest":"` +
		lockDigest.String() + `"}},"rootfs":{"type":"layers","diff_ids":[]}}`
	if string(p.configJSON) != wantConfig || p.manifest.Config.MediaType != ocispec.MediaTypeImageConfig {
		t.Errorf("config %s %s\nwant %s", p.manifest.Config.MediaType, p.configJSON, wantConfig)
	}
	for k, want := range map[string]string{
		ocispec.AnnotationTitle:   "cli-spin1",
		ocispec.AnnotationVersion: "1.0.0",
		ocispec.AnnotationAuthors: "spinoci tests",
		ocispec.AnnotationCreated: "2025-01-01T00:00:00Z",
		"com.example.team":        "wasm",
	} {
		if got := p.manifest.Annotations[k]; got != want {
			t.Errorf("annotation %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := p.lock.Metadata["origin"]; ok {
		t.Errorf("pushed lock keeps metadata.origin")
	}
	if strings.Contains(string(p.lockJSON), "file://") {
		t.Errorf("pushed lock has file:// URIs: %s", p.lockJSON)
	}
	hello, _ := p.lock.Component("hello")
	inline := map[string]bool{}
	for _, f := range hello.Files {
		inline[f.Path] = f.Inline != nil
		if f.Digest == "" || strings.HasPrefix(f.Path, "/") {
			t.Errorf("file %+v: want a digest and a relative path", f)
		}
	}
	want := map[string]bool{"assets/logo.txt": true, "static/index.html": false, "static/small.txt": true, "static/sub/deep.txt": true}
	if len(inline) != len(want) {
		t.Errorf("hello files %v, want %v", inline, want)
	}
	for k, v := range want {
		if inline[k] != v {
			t.Errorf("file %s inline=%v, want %v", k, inline[k], v)
		}
	}
	if hello.Source.Inline == nil {
		t.Errorf("hello's small wasm is not inlined in the lock")
	}
	spinGo, _ := p.lock.Component("spin-go")
	if spinGo.Source.Inline != nil {
		t.Errorf("spin-go's wasm (over 128 bytes) is inlined")
	}
	// Each layer once.
	seen := map[digest.Digest]bool{}
	for _, l := range p.manifest.Layers {
		if seen[l.Digest] {
			t.Errorf("layer %s pushed twice", l.Digest)
		}
		seen[l.Digest] = true
	}
}

func TestPushArchiveLayers(t *testing.T) {
	reg, host := startTestRegistry(t)
	for _, how := range []string{"flag", "env"} {
		t.Run(how, func(t *testing.T) {
			var extra []string
			if how == "flag" {
				extra = []string{"--archive-layers"}
			} else {
				t.Setenv(archiveLayersEnv, "1")
			}
			p := push(t, reg, host, "archive/"+how+":v1", appDir(t, "spin1"), extra...)
			// hello's files, then spin-go's: one archive each, no data layers.
			if got := strings.Join(layerTypes(p.manifest), " "); got != "wasm archive wasm archive wasm lock" {
				t.Errorf("layers %q", got)
			}
			hello, _ := p.lock.Component("hello")
			if len(hello.Files) != 4 {
				t.Errorf("the lock lists %d files of hello, want every file (4)", len(hello.Files))
			}

			// Pull rebuilds the files from the archives.
			out := filepath.Join(t.TempDir(), "app")
			if _, stderr, code := spinoci(t, "pull", "--cache-dir", t.TempDir(), "--plain-http", "--output", out, host+"/archive/"+how+":v1"); code != 0 {
				t.Fatalf("pull: exit %d\n%s", code, stderr)
			}
			b, err := os.ReadFile(filepath.Join(out, "files", "hello", "static", "index.html"))
			src, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "spin1", "static", "index.html"))
			if err != nil || !bytes.Equal(b, src) {
				t.Errorf("pulled static/index.html: %v %q", err, b)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	reg, host := startTestRegistry(t)
	dir := appDir(t, "spin2")
	p := push(t, reg, host, "inspect/spin2:v1", dir)

	stdout, stderr, code := spinoci(t, "inspect", "--plain-http", "--json", host+"/inspect/spin2:v1")
	if code != 0 {
		t.Fatalf("inspect: exit %d\n%s", code, stderr)
	}
	var s Summary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, stdout)
	}
	if s.Digest != p.manifestDigest.String() || s.Layout != LayoutSpinB || s.Name != "cli-spin2" || len(s.Layers) != 5 {
		t.Errorf("summary %+v", s)
	}
	// The stable schema: version, origin, annotations, created, sizes in bytes.
	size := int64(len(p.manifestJSON)) + int64(len(p.configJSON))
	var kinds []string
	for _, l := range s.Layers {
		size += l.Size
		kinds = append(kinds, l.Kind)
	}
	if s.SchemaVersion != 1 || s.Origin != OriginRegistry || s.Created != "2025-01-01T00:00:00Z" ||
		s.Annotations[ocispec.AnnotationTitle] != "cli-spin2" || s.MediaType != ocispec.MediaTypeImageManifest ||
		s.Size != size || s.Config == nil || s.Config.Digest != p.manifest.Config.Digest.String() || s.Config.Size != int64(len(p.configJSON)) ||
		strings.Join(kinds, " ") != "wasm data wasm wasm lock" {
		t.Errorf("summary %+v (size want %d)", s, size)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil || raw["layout"] != "spin-b" || raw["schema_version"] != 1.0 || raw["size"] != float64(size) {
		t.Errorf("inspect --json: %v\n%s", err, stdout)
	}
	text, _, _ := spinoci(t, "inspect", "--plain-http", host+"/inspect/spin2:v1")
	for _, want := range []string{"Layout       B (Spin 2.0+", "Created      2025-01-01T00:00:00Z", "Size         " + humanize.Bytes(size) + "\n", "(263 B)"} {
		if !strings.Contains(text, want) {
			t.Errorf("inspect text lacks %q:\n%s", want, text)
		}
	}
	byID := map[string]Component{}
	for _, c := range s.Components {
		byID[c.ID] = c
	}
	wagi := byID["wagi-go"]
	if len(wagi.Triggers) != 2 || wagi.Triggers[0].Route != "/go/exact" || wagi.Triggers[0].Executor != "wagi" || wagi.Size != 263 {
		t.Errorf("wagi-go %+v", wagi)
	}
	hello := byID["hello"]
	if len(hello.Files) != 2 || hello.Files[0].Path != "/data.json" || hello.Files[0].Size != 214 ||
		hello.Files[1].Path != "/static/empty.txt" || !hello.Files[1].Inline || hello.Files[1].Size != 0 {
		t.Errorf("hello files %+v", hello.Files)
	}
	if strings.Join(hello.KeyValueStores, ",") != "default" || strings.Join(hello.AllowedOutboundHosts, ",") != "https://example.com" {
		t.Errorf("hello %+v", hello)
	}

	// The manifest directory gives the same components, with host paths.
	stdout, stderr, code = spinoci(t, "inspect", dir)
	if code != 0 {
		t.Fatalf("inspect DIR: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"spin.toml (local)", "Component hello", "/data.json (214 B)",
		"/go/exact  wagi executor", "Config       who = {{ who }}", filepath.Join(dir, "apps", "spin-go.wasm")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect DIR output lacks %q:\n%s", want, stdout)
		}
	}

	// A pulled app directory (spin.lock with file:// sources).
	out := filepath.Join(t.TempDir(), "app")
	if _, stderr, code := spinoci(t, "pull", "--plain-http", "--cache-dir", t.TempDir(), "-o", out, host+"/inspect/spin2:v1"); code != 0 {
		t.Fatalf("pull: %s", stderr)
	}
	stdout, _, code = spinoci(t, "inspect", "--json", out)
	s = Summary{}
	if err := json.Unmarshal([]byte(stdout), &s); code != 0 || err != nil || len(s.Components) != 4 {
		t.Fatalf("inspect pulled dir: exit %d, %v\n%s", code, err, stdout)
	}
	if s.Origin != OriginLock || s.Path != filepath.Join(out, "spin.lock") || s.Layout != "" || s.Digest != "" {
		t.Errorf("inspect pulled dir: %+v", s)
	}
}

func TestPullReusesCache(t *testing.T) {
	reg, host := startTestRegistry(t)
	p := push(t, reg, host, "cache/spin1:v1", appDir(t, "spin1"))
	cache := t.TempDir()
	stdout, stderr, code := spinoci(t, "pull", "--plain-http", "--cache-dir", cache, host+"/cache/spin1:v1")
	if code != 0 {
		t.Fatalf("pull: exit %d\n%s", code, stderr)
	}
	dir := strings.TrimSpace(stdout)
	if dir != filepath.Join(cache, "apps", p.manifestDigest.Encoded()) {
		t.Errorf("pulled into %s", dir)
	}
	local, err := appdir.ReadLock(filepath.Join(dir, "spin.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := local.Component("spin-go"); c == nil || !strings.HasPrefix(c.Source.Source, "file://"+dir) {
		t.Errorf("local lock source %+v", c)
	}
	// Every blob is in the cache, so a second pull needs no registry blob.
	for _, l := range p.manifest.Layers {
		if _, err := os.Stat(filepath.Join(cache, "oci", "blobs", "sha256", l.Digest.Encoded())); err != nil {
			t.Errorf("layer %s not cached: %v", l.Digest, err)
		}
	}
	reg.mu.Lock()
	reg.blobs = map[digest.Digest][]byte{}
	reg.mu.Unlock()
	stdout2, stderr, code := spinoci(t, "pull", "--plain-http", "--cache-dir", cache, host+"/cache/spin1:v1")
	if code != 0 || stdout2 != stdout || !strings.Contains(stderr, "already in") {
		t.Errorf("second pull: exit %d, %q\n%s", code, stdout2, stderr)
	}
}
