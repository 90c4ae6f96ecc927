package shimserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/log"
	"github.com/containerd/ttrpc"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// A server renews itself once idle: it execs its own binary in place and
// hands the new process its state, its socket and containerd's
// connections, so that what the work so far left in the Go runtime (spans
// of every size class that held an object, their bookkeeping, grown stacks,
// caches built while parsing specs) goes. The pid, the children (the apps,
// which stay the server's children), the connections and the requests
// containerd is waiting on (Wait) all carry over.

// RenewalEnv names the descriptor that holds the state a renewing server
// hands to its next process: a memfd named renewalMemfdName.
const (
	RenewalEnv       = "SPINOCI_SHIM_RENEWAL"
	renewalMemfdName = "spinoci-shim-renewal"
)

const (
	// renewAfterAllocated is how much a server allocates after it starts
	// serving (or renews) before a renewal pays: an idle server's garbage
	// and the runtime's bookkeeping of it grow with what it allocated. A
	// Create allocates more, a few Stats calls as much.
	renewAfterAllocated = 512 << 10
	// pauseWait bounds the wait for the readers of the socket and of the
	// connections to stop at a frame's end.
	pauseWait = 500 * time.Millisecond
)

// Renewable is a task service that can hand its state to the next process
// of its server.
type Renewable interface {
	// CanRenew tells whether the service could be renewed now: no task is
	// being created or between Create and Start, no background work runs.
	CanRenew() bool
	// HandOver stops the service's own activity and returns its state for
	// TakeOver. open are the requests containerd is still waiting on, which
	// the next process answers: HandOver fails, and the service goes on as
	// before, if it cannot hand one of them over. thaw undoes the freeze
	// if the renewal fails after it.
	HandOver(ctx context.Context, open []OpenRequest) (state []byte, thaw func(), err error)
	// TakeOver takes the state in the next process, before it serves.
	TakeOver(ctx context.Context, state []byte) error
}

// errNotRenewed is a renewal that could not happen now (a request or work
// under way): the server goes on as before and tries again later.
var errNotRenewed = errors.New("the server cannot renew now")

// renewalState is what a server hands to its next process.
type renewalState struct {
	Service   []byte        `json:"service"`
	LogBundle string        `json:"log_bundle"`
	Listener  int           `json:"listener"`
	Conns     []renewedConn `json:"conns"`
}

// renewedConn is a connection from containerd and the requests on it the
// next process answers.
type renewedConn struct {
	FD   int           `json:"fd"`
	Open []OpenRequest `json:"open"`
}

// renewer renews a serving server.
type renewer struct {
	svc      Renewable
	listener *trackedListener
	conns    *connSet
	log      *Log
	// allocatedBefore is the bytes allocated when the server began to
	// serve.
	allocatedBefore uint64
	// signals are the server's signals; one taken by the renewal (see
	// takeSignal) is in taken until the server's loop handles it.
	signals <-chan os.Signal
	taken   os.Signal
	// execve replaces the process (unix.Exec when nil).
	execve func(argv0 string, argv, envv []string) error
}

// takeSignal takes a signal the server received and has not handled yet,
// which an exec would lose (a SIGTERM: the server would not stop); the
// renewal then does not happen, and the server's loop handles the signal
// (takenSignal).
func (r *renewer) takeSignal() error {
	select {
	case s := <-r.signals:
		r.taken = s
		return fmt.Errorf("%w: signal %v arrived", errNotRenewed, s)
	default:
		return nil
	}
}

// takenSignal returns, once, the signal the last renewal took instead of
// happening (nil if none).
func (r *renewer) takenSignal() os.Signal {
	s := r.taken
	r.taken = nil
	return s
}

func allocatedBytes() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// worthIt tells whether the server has allocated enough to renew.
func (r *renewer) worthIt() bool {
	return allocatedBytes()-r.allocatedBefore >= renewAfterAllocated
}

// renew execs the server's binary in place with the server's state; it
// returns only if the renewal did not happen, and the server then goes on
// as it was. It runs on the server's signal loop, so that no child is
// reaped while the state is taken.
func (r *renewer) renew(ctx context.Context) error {
	if !r.svc.CanRenew() {
		return fmt.Errorf("%w: its task service is busy", errNotRenewed)
	}
	conns, added := r.conns.snapshot()
	listenerPause := r.listener.pauseAccepting()
	defer r.listener.resumeAccepting(listenerPause)
	pauses := make([]*readPause, len(conns))
	for i, c := range conns {
		pauses[i] = c.pauseReading()
		defer c.resumeReading(pauses[i])
	}
	deadline := time.After(pauseWait)
	for _, p := range append(pauses, listenerPause) {
		select {
		case <-p.parked:
		case <-deadline:
			return fmt.Errorf("%w: a connection's reader did not stop in %v", errNotRenewed, pauseWait)
		}
	}
	if _, now := r.conns.snapshot(); now != added {
		return fmt.Errorf("%w: containerd connected while it paused", errNotRenewed)
	}
	state := renewalState{LogBundle: r.log.Bundle()}
	var open []OpenRequest
	for _, c := range conns {
		if !c.writing.TryLock() {
			return fmt.Errorf("%w: a response is being written", errNotRenewed)
		}
		defer c.writing.Unlock()
		requests, whole := c.quiet()
		if !whole {
			return fmt.Errorf("%w: a request or a response is half way", errNotRenewed)
		}
		open = append(open, requests...)
		state.Conns = append(state.Conns, renewedConn{Open: requests})
	}
	svcState, thaw, err := r.svc.HandOver(ctx, open)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotRenewed, err)
	}
	state.Service = svcState
	err = r.exec(ctx, &state, conns)
	thaw()
	return err
}

// exec execs the server's binary with state; it returns only on failure,
// with everything as it was.
func (r *renewer) exec(ctx context.Context, state *renewalState, conns []*trackedConn) error {
	var inherited []int
	defer func() {
		for _, fd := range inherited {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}()
	inherit := func(c any) (int, error) {
		fd, err := descriptor(c)
		if err != nil {
			return 0, err
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return 0, fmt.Errorf("keeping descriptor %d open across exec: %w", fd, err)
		}
		inherited = append(inherited, fd)
		return fd, nil
	}
	var err error
	if state.Listener, err = inherit(r.listener.Listener); err != nil {
		return err
	}
	for i, c := range conns {
		if state.Conns[i].FD, err = inherit(c.Conn); err != nil {
			return err
		}
	}
	data, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encoding the server's state: %w", err)
	}
	// Without MFD_CLOEXEC: the next process reads it.
	memfd, err := unix.MemfdCreate(renewalMemfdName, 0)
	if err != nil {
		return fmt.Errorf("creating the state's memfd: %w", err)
	}
	stateFile := os.NewFile(uintptr(memfd), "renewal")
	defer stateFile.Close()
	if _, err := stateFile.Write(data); err != nil {
		return fmt.Errorf("writing the server's state: %w", err)
	}
	if _, err := stateFile.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("writing the server's state: %w", err)
	}
	env := append(os.Environ(), RenewalEnv+"="+strconv.Itoa(memfd))
	// The last moment a signal can be kept: from the exec until the next
	// process's handler is set up (~2 ms), a SIGTERM ends the process.
	if err := r.takeSignal(); err != nil {
		return err
	}
	log.G(ctx).WithField("connections", len(conns)).Debug("renewing the shim server in place")
	execve := r.execve
	if execve == nil {
		execve = unix.Exec
	}
	err = execve("/proc/self/exe", os.Args, env)
	return fmt.Errorf("exec'ing the server's own binary: %w", err)
}

// descriptor is the file descriptor of a socket.
func descriptor(c any) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, fmt.Errorf("%T has no file descriptor", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	fd := -1
	if err := raw.Control(func(d uintptr) { fd = int(d) }); err != nil {
		return 0, err
	}
	return fd, nil
}

// takeRenewal returns the state the previous process of this server handed
// over (nil: the server's first process), and removes RenewalEnv from the
// environment so that no child inherits it.
func takeRenewal() (*renewalState, error) {
	value, ok := os.LookupEnv(RenewalEnv)
	if !ok {
		return nil, nil
	}
	_ = os.Unsetenv(RenewalEnv)
	fd, err := strconv.Atoi(value)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("$%s=%q: not a descriptor", RenewalEnv, value)
	}
	// Only a renewal's own memfd is read: the variable set anywhere else
	// (containerd's environment) does not make a first process read one
	// of its descriptors.
	if target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err != nil || !strings.HasPrefix(target, "/memfd:"+renewalMemfdName) {
		return nil, nil
	}
	f := os.NewFile(uintptr(fd), "renewal")
	defer f.Close()
	var state renewalState
	if err := json.NewDecoder(f).Decode(&state); err != nil {
		return nil, fmt.Errorf("reading the state the server's previous process handed over: %w", err)
	}
	return &state, nil
}

// resumeSockets returns the listener and containerd's connections the
// previous process handed over.
func (s *renewalState) resumeSockets(set *connSet) (net.Listener, []*trackedConn, error) {
	lf := os.NewFile(uintptr(s.Listener), "socket")
	l, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("taking the shim socket over: %w", err)
	}
	conns := make([]*trackedConn, 0, len(s.Conns))
	for _, rc := range s.Conns {
		cf := os.NewFile(uintptr(rc.FD), "connection")
		c, err := net.FileConn(cf)
		cf.Close()
		if err != nil {
			l.Close()
			return nil, nil, fmt.Errorf("taking containerd's connection over: %w", err)
		}
		conns = append(conns, newTrackedConn(c, set, rc.Open))
	}
	return l, conns, nil
}

// answerHandedOver answers the requests the previous process received and
// did not answer, through the methods registered, as ttrpc would have.
func answerHandedOver(ctx context.Context, methods registeredMethods, conns []*trackedConn, done func()) {
	for _, c := range conns {
		open, _ := c.quiet()
		for _, r := range open {
			go func() {
				answer(ctx, methods, c, r)
				done()
			}()
		}
	}
}

func answer(ctx context.Context, methods registeredMethods, c *trackedConn, r OpenRequest) {
	var req ttrpc.Request
	var resp ttrpc.Response
	if err := proto.Unmarshal(r.Request, &req); err != nil {
		resp.Status = status.Newf(codes.InvalidArgument, "decoding a request handed over: %v", err).Proto()
	} else if method := methods.lookup(req.Service, req.Method); method == nil {
		resp.Status = status.Newf(codes.Unimplemented, "%s/%s was not registered", req.Service, req.Method).Proto()
	} else {
		if req.TimeoutNano > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutNano))
			defer cancel()
		}
		v, err := method(ctx, func(m any) error {
			msg, ok := m.(proto.Message)
			if !ok {
				return fmt.Errorf("%T is not a protobuf message", m)
			}
			return proto.Unmarshal(req.Payload, msg)
		})
		msg, ok := v.(proto.Message)
		switch {
		case err != nil:
			resp.Status = status.Convert(err).Proto()
		case !ok:
			resp.Status = status.Newf(codes.Internal, "the response %T is not a protobuf message", v).Proto()
		default:
			if resp.Payload, err = proto.Marshal(msg); err != nil {
				resp.Status = status.Newf(codes.Internal, "encoding the response: %v", err).Proto()
			} else {
				resp.Status = status.New(codes.OK, "").Proto()
			}
		}
	}
	data, err := proto.Marshal(&resp)
	if err == nil {
		err = c.writeFrame(frameResponse, r.StreamID, data)
	}
	if err != nil {
		log.G(ctx).WithError(err).WithField("method", r.Service+"/"+r.Method).Warn("answering a request the server's previous process received")
	}
}

// registeredMethods records the ttrpc services registered on a server, so
// that requests handed over can be dispatched to them.
type registeredMethods map[string]map[string]ttrpc.Method

func (m registeredMethods) lookup(service, method string) ttrpc.Method {
	return m[service][method]
}

// Registrar is where a task service registers its ttrpc services: the
// server's ttrpc server.
type Registrar interface {
	RegisterService(name string, desc *ttrpc.ServiceDesc)
}

// recordingRegistrar registers on a ttrpc server and records.
type recordingRegistrar struct {
	server  *ttrpc.Server
	methods registeredMethods
}

func (r recordingRegistrar) RegisterService(name string, desc *ttrpc.ServiceDesc) {
	r.server.RegisterService(name, desc)
	r.methods[name] = desc.Methods
}
