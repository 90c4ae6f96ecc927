package wagi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/inbound"
)

// Config is a component's WAGI executor configuration.
type Config struct {
	// Entrypoint is the exported function to call.
	Entrypoint string
	// Argv is the argv template: ${SCRIPT_NAME} is the request path,
	// ${ARGS} the query with '&' replaced by ' '; the result is split on
	// single spaces.
	Argv string
	// TempDir is where stdin and stdout files are created; empty means
	// os.TempDir().
	TempDir string
}

// Executor runs a WASI command as a CGI script.
type Executor struct {
	host *coremodule.Host
	comp *coremodule.Component
	cfg  Config
}

// New returns the WAGI executor of comp, whose module must export
// cfg.Entrypoint.
func New(host *coremodule.Host, comp *coremodule.Component, cfg Config) (*Executor, error) {
	if coremodule.ExportKinds(comp.Module)[cfg.Entrypoint] != coremodule.KindFunc {
		return nil, fmt.Errorf("WAGI entrypoint %q is not an exported function", cfg.Entrypoint)
	}
	return &Executor{host: host, comp: comp, cfg: cfg}, nil
}

// StreamsBody is false: the body is read whole, to be stdin.
func (*Executor) StreamsBody() bool { return false }

// Serve runs the script for req and answers with its CGI response.
func (e *Executor) Serve(ctx context.Context, w http.ResponseWriter, req *inbound.Request) {
	out, err := e.run(ctx, req)
	if err != nil {
		inbound.Fail(ctx, w, e.comp.ID, err)
		return
	}
	resp, err := parseCGI(out)
	if err != nil {
		inbound.Fail(ctx, w, e.comp.ID, err)
		return
	}
	inbound.WriteResponse(ctx, w, e.comp.ID, resp)
}

// run executes the entrypoint with the body as stdin and returns stdout.
func (e *Executor) run(ctx context.Context, req *inbound.Request) ([]byte, error) {
	stdin, err := os.CreateTemp(e.cfg.TempDir, "wagi-stdin-")
	if err != nil {
		return nil, fmt.Errorf("WAGI stdin: %w", err)
	}
	defer os.Remove(stdin.Name())
	_, err = stdin.Write(req.Body)
	if cerr := stdin.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("WAGI stdin: %w", err)
	}
	stdout, err := os.CreateTemp(e.cfg.TempDir, "wagi-stdout-")
	if err != nil {
		return nil, fmt.Errorf("WAGI stdout: %w", err)
	}
	defer os.Remove(stdout.Name())
	defer stdout.Close()

	if err := e.call(ctx, req, stdin.Name(), stdout.Name()); err != nil {
		return nil, err
	}
	// The Store is closed: everything the guest wrote is in the file.
	out, err := os.ReadFile(stdout.Name())
	if err != nil {
		return nil, fmt.Errorf("WAGI stdout: %w", err)
	}
	return out, nil
}

func (e *Executor) call(ctx context.Context, req *inbound.Request, stdinPath, stdoutPath string) error {
	store, err := e.host.NewStore(ctx, e.comp, coremodule.StoreOptions{
		Argv: expandArgv(e.cfg.Argv, req), Env: cgiEnv(e.comp, req), StdinPath: stdinPath, StdoutPath: stdoutPath,
	})
	if err != nil {
		return err
	}
	defer store.Close()
	inst, err := e.host.Instantiate(store, e.comp)
	if err != nil {
		return err
	}
	f := inst.GetFunc(store, e.cfg.Entrypoint)
	if f == nil {
		return fmt.Errorf("WAGI entrypoint %q is not exported", e.cfg.Entrypoint)
	}
	_, err = f.Call(store)
	var werr *wasmtime.Error
	if errors.As(err, &werr) {
		if code, ok := werr.ExitStatus(); ok {
			if code == 0 {
				return nil
			}
			return fmt.Errorf("WAGI entrypoint %q exited with status %d", e.cfg.Entrypoint, code)
		}
	}
	if err != nil {
		return fmt.Errorf("WAGI entrypoint %q: %w", e.cfg.Entrypoint, err)
	}
	return nil
}

// expandArgv expands the argv template (see Config.Argv) for req.
func expandArgv(template string, req *inbound.Request) []string {
	s := strings.ReplaceAll(template, "${SCRIPT_NAME}", req.Path)
	s = strings.ReplaceAll(s, "${ARGS}", strings.ReplaceAll(req.Query, "&", " "))
	return strings.Split(s, " ")
}

// envList is an ordered environment where setting a key again replaces its
// value in place.
type envList struct {
	kv    [][2]string
	index map[string]int
}

func (e *envList) set(k, v string) {
	if e.index == nil {
		e.index = map[string]int{}
	}
	if i, ok := e.index[k]; ok {
		e.kv[i][1] = v
		return
	}
	e.index[k] = len(e.kv)
	e.kv = append(e.kv, [2]string{k, v})
}

// cgiEnv builds the CGI environment: the WAGI set, then Spin's headers under
// their WAGI names, then the component's environment.
func cgiEnv(c *coremodule.Component, req *inbound.Request) [][2]string {
	r := req.HTTP
	var env envList
	serverName, serverPort := "default_host", "80"
	if r.Host != "" {
		serverName = r.Host
		if h, p, err := net.SplitHostPort(r.Host); err == nil {
			serverName, serverPort = h, p
		}
	}
	remote := r.RemoteAddr
	if h, _, err := net.SplitHostPort(remote); err == nil {
		remote = h
	}
	rawPathInfo := req.PathInfo()
	pathInfo, err := url.PathUnescape(rawPathInfo)
	if err != nil {
		pathInfo = rawPathInfo
	}
	fullURL := "http://" + serverName + ":" + serverPort + req.URI()

	env.set("AUTH_TYPE", "")
	env.set("CONTENT_LENGTH", strconv.Itoa(len(req.Body)))
	env.set("CONTENT_TYPE", "")
	env.set("X_FULL_URL", fullURL)
	env.set("GATEWAY_INTERFACE", "CGI/1.1")
	env.set("X_MATCHED_ROUTE", req.Route.Matched)
	env.set("QUERY_STRING", req.Query)
	env.set("REMOTE_ADDR", remote)
	env.set("REMOTE_HOST", remote)
	env.set("REMOTE_USER", "")
	env.set("REQUEST_METHOD", r.Method)
	env.set("SCRIPT_NAME", req.Route.Path)
	env.set("X_RAW_PATH_INFO", rawPathInfo)
	env.set("PATH_INFO", pathInfo)
	env.set("PATH_TRANSLATED", pathInfo)
	env.set("SERVER_NAME", serverName)
	env.set("SERVER_PORT", serverPort)
	env.set("SERVER_PROTOCOL", r.Proto)
	env.set("SERVER_SOFTWARE", "WAGI/1")
	for _, h := range inbound.IncomingHeaders(r) {
		name := "HTTP_" + strings.ReplaceAll(strings.ToUpper(h[0]), "-", "_")
		if name == "HTTP_AUTHORIZATION" || name == "HTTP_CONNECTION" {
			continue
		}
		env.set(name, h[1])
	}
	for _, h := range req.SpinHeaders() {
		env.set(h.Env, h.Value)
	}
	for _, kv := range c.Env {
		env.set(kv[0], kv[1])
	}
	return env.kv
}
