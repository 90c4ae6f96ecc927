package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// Host API names, as inspect shows them (and README's capability table
// names them).
const (
	apiKeyValue   = "key-value"
	apiSQLite     = "sqlite"
	apiRedis      = "redis"
	apiPostgres   = "postgres"
	apiMySQL      = "mysql"
	apiMQTT       = "mqtt"
	apiLLM        = "llm"
	apiVariables  = "variables"
	apiOutbound   = "outbound-http"
	apiSockets    = "sockets"
	apiWASIKV     = "wasi:keyvalue"
	apiWASIConfig = "wasi:config"
	apiNone       = "" // not a host API of its own (types, WASI basics)
)

// spinInterfaces maps the interface names of Spin's packages
// (fermyon:spin, spin:*) and of Spin 1.x core modules' import modules to
// host APIs.
var spinInterfaces = map[string]string{
	"key-value": apiKeyValue, "sqlite": apiSQLite, "redis": apiRedis, "postgres": apiPostgres,
	"mysql": apiMySQL, "mqtt": apiMQTT, "llm": apiLLM, "variables": apiVariables, "config": apiVariables,
	"http": apiOutbound,
	// Spin 1.x core modules (wit-bindgen 0.2).
	"spin-config": apiVariables, "wasi-outbound-http": apiOutbound, "outbound-redis": apiRedis,
	"outbound-pg": apiPostgres, "outbound-mysql": apiMySQL,
}

// hostAPI names the host API of an import (a core module's import module
// or a component's import), "" when it is none (WASI basics, types).
func hostAPI(name string, component bool) string {
	n, _, _ := strings.Cut(name, "@")
	pkg, iface, ok := strings.Cut(n, "/")
	if !ok {
		if component {
			return apiNone
		}
		return spinInterfaces[n]
	}
	switch {
	case pkg == "fermyon:spin" || strings.HasPrefix(pkg, "spin:"):
		return spinInterfaces[iface]
	case pkg == "wasi:http" && iface == "outgoing-handler":
		return apiOutbound
	case pkg == "wasi:sockets":
		return apiSockets
	case pkg == "wasi:keyvalue":
		return apiWASIKV
	case pkg == "wasi:config":
		return apiWASIConfig
	}
	return apiNone
}

// hostAPIs returns the host APIs of imports, sorted, each once.
func hostAPIs(imports *artifact.WasmImports) []string {
	apis := []string{}
	for _, name := range imports.Names {
		if api := hostAPI(name, imports.Component); api != "" && !slices.Contains(apis, api) {
			apis = append(apis, api)
		}
	}
	slices.Sort(apis)
	return apis
}

// wasmOpener opens a component's wasm, returning it and its size (0:
// unknown).
type wasmOpener func(ctx context.Context, c *lock.Component) (io.ReadCloser, int64, error)

// readHostAPIs fills in each component's imports and host APIs from its
// wasm; a component whose wasm cannot be read gets ImportsError instead.
func (s *Summary) readHostAPIs(ctx context.Context, app *lock.LockedApp, open wasmOpener) {
	for i := range s.Components {
		sc := &s.Components[i]
		c := findComponent(app, sc.ID)
		if c == nil {
			continue
		}
		imports, err := readImports(ctx, c, open)
		if err != nil {
			sc.ImportsError = err.Error()
			continue
		}
		sc.Imports, sc.HostAPIs = imports.Names, hostAPIs(imports)
		if sc.Imports == nil {
			sc.Imports = []string{}
		}
	}
}

func findComponent(app *lock.LockedApp, id string) *lock.Component {
	for i := range app.Components {
		if app.Components[i].ID == id {
			return &app.Components[i]
		}
	}
	return nil
}

func readImports(ctx context.Context, c *lock.Component, open wasmOpener) (*artifact.WasmImports, error) {
	if inline := c.Source.Inline; inline != nil {
		b, err := lock.DecodeInline(*inline)
		if err != nil {
			return nil, err
		}
		return artifact.ReadWasmImports(strings.NewReader(string(b)), int64(len(b)))
	}
	r, size, err := open(ctx, c)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	imports, err := artifact.ReadWasmImports(r, size)
	if err != nil {
		return nil, fmt.Errorf("reading the wasm's imports: %w", err)
	}
	return imports, nil
}

// openLocalWasm opens a local app's component wasm.
func openLocalWasm(_ context.Context, c *lock.Component) (io.ReadCloser, int64, error) {
	p, err := appdir.WasmPath(c)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, err
	}
	return f, 0, nil
}

// registryWasm opens components' wasm layers of art through blobs.
func registryWasm(art *artifact.Artifact, blobs artifact.BlobReader) wasmOpener {
	return func(ctx context.Context, c *lock.Component) (io.ReadCloser, int64, error) {
		for _, l := range art.Manifest.Layers {
			if l.Digest.String() == c.Source.Digest {
				rc, err := blobs.Open(ctx, ocispec.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size})
				return rc, l.Size, err
			}
		}
		return nil, 0, errors.New("no layer of the manifest holds the component's wasm")
	}
}
