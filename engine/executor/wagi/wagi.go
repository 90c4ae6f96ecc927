package wagi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Config is a component's WAGI executor configuration.
type Config struct {
	// Entrypoint is the exported function to call.
	Entrypoint string
	// Argv is the argv template: ${SCRIPT_NAME} is the request path,
	// ${ARGS} the query with '&' replaced by ' '; the result is split on
	// single spaces.
	Argv string
	// MaxOutput bounds a response's stdout in bytes (headers included);
	// over it the response is cut and the guest stopped. 0: no bound.
	MaxOutput int64
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

// Serve runs the script for req with the body as stdin and answers with
// its CGI response, streamed (see respond). The guest writes to a pipe;
// nothing goes to disk.
func (e *Executor) Serve(ctx context.Context, w http.ResponseWriter, req *inbound.Request) {
	guestCtx, stopCause := context.WithCancelCause(ctx)
	stop := func() { stopCause(errors.New("its response is over")) }
	defer stop()
	out, pw, err := blockingPipe()
	if err != nil {
		inbound.Fail(ctx, w, e.comp.ID, fmt.Errorf("WAGI stdout: %w", err))
		return
	}
	done := make(chan error, 1)
	go func() {
		err := e.call(guestCtx, req, int(pw.Fd()))
		pw.Close() // the Store is closed: out reaches EOF
		done <- err
	}()
	defer func() {
		// Whatever happened, the guest is stopped (at its next epoch tick)
		// and its output drained, so that it never blocks on a full pipe
		// and its instance slot is free when Serve returns.
		stop()
		_, _ = io.Copy(io.Discard, out)
		out.Close()
	}()
	e.respond(ctx, w, out, done)
}

// call runs the entrypoint in a new Store, stdout going to stdoutFD.
func (e *Executor) call(ctx context.Context, req *inbound.Request, stdoutFD int) error {
	store, err := e.host.NewStore(ctx, e.comp, coremodule.StoreOptions{
		Argv: expandArgv(e.cfg.Argv, req), Env: cgiEnv(e.comp, req),
		Stdin: req.Body, StdoutFD: stdoutFD, HasStdoutFD: true,
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
		return fmt.Errorf("WAGI entrypoint %q: %w", e.cfg.Entrypoint, capi.TrimNative(err))
	}
	return nil
}

// blockingPipe returns an OS pipe whose write end is blocking, as the
// guest's WASI stdout needs (os.Pipe's ends are non-blocking).
func blockingPipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "wagi-stdout"), os.NewFile(uintptr(fds[1]), "wagi-stdout"), nil
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
