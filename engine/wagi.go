package engine

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
)

// wagiExecutor runs a WASI command as a CGI script.
type wagiExecutor struct {
	entrypoint string
	argv       string // template
}

func (e wagiExecutor) serve(ctx context.Context, c *component, w http.ResponseWriter, req *request) {
	out, err := e.run(ctx, c, req)
	if err != nil {
		c.fail(ctx, w, err)
		return
	}
	resp, err := parseCGI(out)
	if err != nil {
		c.fail(ctx, w, err)
		return
	}
	writeResponse(ctx, c, w, resp)
}

// run executes the entrypoint with the body as stdin and returns stdout.
func (e wagiExecutor) run(ctx context.Context, c *component, req *request) ([]byte, error) {
	stdin, err := os.CreateTemp(c.host.tempDir, "wagi-stdin-")
	if err != nil {
		return nil, fmt.Errorf("WAGI stdin: %w", err)
	}
	defer os.Remove(stdin.Name())
	_, err = stdin.Write(req.body)
	if cerr := stdin.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("WAGI stdin: %w", err)
	}
	stdout, err := os.CreateTemp(c.host.tempDir, "wagi-stdout-")
	if err != nil {
		return nil, fmt.Errorf("WAGI stdout: %w", err)
	}
	defer os.Remove(stdout.Name())
	defer stdout.Close()

	if err := e.call(ctx, c, req, stdin.Name(), stdout.Name()); err != nil {
		return nil, err
	}
	// The Store is closed: everything the guest wrote is in the file.
	out, err := os.ReadFile(stdout.Name())
	if err != nil {
		return nil, fmt.Errorf("WAGI stdout: %w", err)
	}
	return out, nil
}

func (e wagiExecutor) call(ctx context.Context, c *component, req *request, stdinPath, stdoutPath string) error {
	store, err := c.newStore(ctx, wagiArgv(e.argv, req), wagiEnv(c, req), stdinPath, stdoutPath)
	if err != nil {
		return err
	}
	defer store.Close()
	inst, err := c.host.linker.Instantiate(store, c.module)
	if err != nil {
		return fmt.Errorf("instantiate: %w", err)
	}
	f := inst.GetFunc(store, e.entrypoint)
	if f == nil {
		return fmt.Errorf("WAGI entrypoint %q is not exported", e.entrypoint)
	}
	_, err = f.Call(store)
	var werr *wasmtime.Error
	if errors.As(err, &werr) {
		if code, ok := werr.ExitStatus(); ok {
			if code == 0 {
				return nil
			}
			return fmt.Errorf("WAGI entrypoint %q exited with status %d", e.entrypoint, code)
		}
	}
	if err != nil {
		return fmt.Errorf("WAGI entrypoint %q: %w", e.entrypoint, err)
	}
	return nil
}

// wagiArgv expands the argv template: ${SCRIPT_NAME} is the request path,
// ${ARGS} the query with '&' replaced by ' '; the result is split on single
// spaces.
func wagiArgv(template string, req *request) []string {
	s := strings.ReplaceAll(template, "${SCRIPT_NAME}", req.path)
	s = strings.ReplaceAll(s, "${ARGS}", strings.ReplaceAll(req.query, "&", " "))
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

// wagiEnv builds the CGI environment: the WAGI set, then Spin's headers
// under their WAGI names, then the component's environment.
func wagiEnv(c *component, req *request) [][2]string {
	r := req.r
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
	rawPathInfo := req.pathInfo()
	pathInfo, err := url.PathUnescape(rawPathInfo)
	if err != nil {
		pathInfo = rawPathInfo
	}
	fullURL := "http://" + serverName + ":" + serverPort + req.uri()

	env.set("AUTH_TYPE", "")
	env.set("CONTENT_LENGTH", strconv.Itoa(len(req.body)))
	env.set("CONTENT_TYPE", "")
	env.set("X_FULL_URL", fullURL)
	env.set("GATEWAY_INTERFACE", "CGI/1.1")
	env.set("X_MATCHED_ROUTE", req.route.pattern.String())
	env.set("QUERY_STRING", req.query)
	env.set("REMOTE_ADDR", remote)
	env.set("REMOTE_HOST", remote)
	env.set("REMOTE_USER", "")
	env.set("REQUEST_METHOD", r.Method)
	env.set("SCRIPT_NAME", req.route.pattern.path)
	env.set("X_RAW_PATH_INFO", rawPathInfo)
	env.set("PATH_INFO", pathInfo)
	env.set("PATH_TRANSLATED", pathInfo)
	env.set("SERVER_NAME", serverName)
	env.set("SERVER_PORT", serverPort)
	env.set("SERVER_PROTOCOL", r.Proto)
	env.set("SERVER_SOFTWARE", "WAGI/1")
	for _, h := range incomingHeaders(r) {
		name := "HTTP_" + strings.ReplaceAll(strings.ToUpper(h[0]), "-", "_")
		if name == "HTTP_AUTHORIZATION" || name == "HTTP_CONNECTION" {
			continue
		}
		env.set(name, h[1])
	}
	for _, h := range spinHeaders(req) {
		env.set(h.env, h.value)
	}
	for _, kv := range c.env {
		env.set(kv[0], kv[1])
	}
	return env.kv
}
