package shimserver

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// probe is the probe server's task service. It renews: its state is its
// generation, one more in each process; "Block" calls are the requests it
// hands over, answered once "Unblock" is called (in whichever process).
type probe struct {
	ctx        context.Context
	env        Env
	generation int
	unblocked  chan struct{}
	released   chan struct{}
}

func newProbe(ctx context.Context, env Env) *probe {
	return &probe{ctx: ctx, env: env, unblocked: make(chan struct{}), released: make(chan struct{})}
}

// renewalMethods are the probe's calls for the renewal's tests.
func (p *probe) renewalMethods(call func(func() error) ttrpc.Method) map[string]ttrpc.Method {
	return map[string]ttrpc.Method{
		// Allocate allocates enough for the server to renew once idle.
		"Allocate": call(func() error {
			runtime.KeepAlive(make([]byte, 2*renewAfterAllocated))
			return nil
		}),
		"Block":   call(func() error { <-p.unblocked; return nil }),
		"Unblock": call(func() error { close(p.unblocked); return nil }),
		// Hold is Block that HandOver refuses to hand over.
		"Hold":    call(func() error { <-p.released; return nil }),
		"Release": call(func() error { close(p.released); return nil }),
		"Generation": func(_ context.Context, unmarshal func(any) error) (any, error) {
			if err := unmarshal(&emptypb.Empty{}); err != nil {
				return nil, err
			}
			return wrapperspb.String(fmt.Sprintf("generation %d, pid %d", p.generation, os.Getpid())), nil
		},
	}
}

func (p *probe) CanRenew() bool { return true }

func (p *probe) HandOver(_ context.Context, open []OpenRequest) ([]byte, func(), error) {
	for _, r := range open {
		if r.Service != "test.Probe" || r.Method != "Block" {
			return nil, nil, fmt.Errorf("%s/%s is under way", r.Service, r.Method)
		}
	}
	state, err := json.Marshal(p.generation + 1)
	return state, func() {}, err
}

func (p *probe) TakeOver(_ context.Context, state []byte) error {
	return json.Unmarshal(state, &p.generation)
}

// TestServerRenews: a server that has allocated enough renews once idle:
// the same process (pid) runs its binary anew with the task service's
// state, serves on the same connection, and answers the request the
// previous process had received and not answered; it shuts down as
// before, both processes' log lines in the log FIFO.
func TestServerRenews(t *testing.T) {
	cmd, client, logs, _ := startServer(t, startEventsServer(t))
	defer func() {
		if t.Failed() {
			_ = cmd.Process.Signal(syscall.SIGUSR1)
			time.Sleep(time.Second)
			_ = cmd.Process.Kill()
			t.Logf("server log:\n%s", logs())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	blocked := make(chan error, 1)
	go func() { blocked <- client.Call(ctx, "test.Probe", "Block", &emptypb.Empty{}, &emptypb.Empty{}) }()
	if err := client.Call(ctx, "test.Probe", "Allocate", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	want := fmt.Sprintf("generation 1, pid %d", cmd.Process.Pid)
	var got wrapperspb.StringValue
	for got.Value != want {
		// Every call delays the renewal: the server renews once idle.
		time.Sleep(idleMemoryDelay + 500*time.Millisecond)
		if err := client.Call(ctx, "test.Probe", "Generation", &emptypb.Empty{}, &got); err != nil {
			t.Fatalf("Generation: %v (the server says %q, want %q)", err, got.Value, want)
		}
	}
	select {
	case err := <-blocked:
		t.Fatalf("Block returned before Unblock: %v", err)
	default:
	}
	if err := client.Call(ctx, "test.Probe", "Unblock", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Fatalf("Unblock: %v", err)
	}
	select {
	case err := <-blocked:
		if err != nil {
			t.Fatalf("the Block handed over was answered with %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the Block handed over was not answered")
	}
	_ = client.Call(ctx, "test.Probe", "Shutdown", &emptypb.Empty{}, &emptypb.Empty{})
	waitExit(t, cmd)
	if got := logs(); !strings.Contains(got, "renewing the shim server in place") || !strings.Contains(got, "shim server renewed in place") {
		t.Errorf("the log FIFO got %q, want the renewal's lines from both processes", got)
	}
}

// TestServerDoesNotRenewWhileARequestIsUnderWay: a request the task
// service cannot hand over keeps the server as it is; it renews once the
// request is answered.
func TestServerDoesNotRenewWhileARequestIsUnderWay(t *testing.T) {
	cmd, client, _, _ := startServer(t, startEventsServer(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	held := make(chan error, 1)
	go func() { held <- client.Call(ctx, "test.Probe", "Hold", &emptypb.Empty{}, &emptypb.Empty{}) }()
	if err := client.Call(ctx, "test.Probe", "Allocate", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	generation := func() string {
		var got wrapperspb.StringValue
		if err := client.Call(ctx, "test.Probe", "Generation", &emptypb.Empty{}, &got); err != nil {
			t.Fatalf("Generation: %v (the server renews to generation 1 once idle)", err)
		}
		return got.Value
	}
	// Twice the idle delay: the server tried, and gave up.
	time.Sleep(2 * idleMemoryDelay)
	if got, want := generation(), fmt.Sprintf("generation 0, pid %d", cmd.Process.Pid); got != want {
		t.Fatalf("with Hold under way the server says %q, want %q", got, want)
	}
	if err := client.Call(ctx, "test.Probe", "Release", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := <-held; err != nil {
		t.Fatalf("Hold: %v", err)
	}
	want := fmt.Sprintf("generation 1, pid %d", cmd.Process.Pid)
	for got := ""; got != want; {
		// Every call delays the renewal: the server renews once idle.
		time.Sleep(idleMemoryDelay + 500*time.Millisecond)
		got = generation()
	}
}

// TestAnswerHandedOver: a request handed over is answered on its stream
// through the registered method; one for a method not registered gets
// Unimplemented, as ttrpc answers it.
func TestAnswerHandedOver(t *testing.T) {
	server, client := socketPair(t)
	c := newTrackedConn(server, newConnSet(), nil)
	methods := registeredMethods{"test.S": {"Echo": func(_ context.Context, unmarshal func(any) error) (any, error) {
		var in wrapperspb.StringValue
		if err := unmarshal(&in); err != nil {
			return nil, err
		}
		return wrapperspb.String("echo " + in.Value), nil
	}}}
	request := func(method string) []byte {
		payload, _ := proto.Marshal(wrapperspb.String("hi"))
		b, err := proto.Marshal(&ttrpc.Request{Service: "test.S", Method: method, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	answer(context.Background(), methods, c, OpenRequest{StreamID: 5, Request: request("Echo")})
	answer(context.Background(), methods, c, OpenRequest{StreamID: 7, Request: request("Gone")})
	for _, want := range []struct {
		stream uint32
		code   codes.Code
		value  string
	}{{5, codes.OK, "echo hi"}, {7, codes.Unimplemented, ""}} {
		header := make([]byte, frameHeaderLen)
		if _, err := io.ReadFull(client, header); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, binary.BigEndian.Uint32(header[0:4]))
		if _, err := io.ReadFull(client, body); err != nil {
			t.Fatal(err)
		}
		var resp ttrpc.Response
		if err := proto.Unmarshal(body, &resp); err != nil {
			t.Fatal(err)
		}
		var got wrapperspb.StringValue
		_ = proto.Unmarshal(resp.Payload, &got)
		if id := binary.BigEndian.Uint32(header[4:8]); id != want.stream || header[8] != frameResponse ||
			codes.Code(resp.Status.GetCode()) != want.code || got.Value != want.value {
			t.Errorf("stream %d, type %d: %v %q; want stream %d's response: %v %q", id, header[8], codes.Code(resp.Status.GetCode()), got.Value, want.stream, want.code, want.value)
		}
	}
}

// TestRenewalKeepsASignalThatArrived: a signal the server received and has
// not handled when it is about to exec stops the renewal (the exec would
// lose it) and goes to the server's loop, once; with none pending, the
// renewal execs.
func TestRenewalKeepsASignalThatArrived(t *testing.T) {
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	signals := make(chan os.Signal, 1)
	execs := 0
	r := &renewer{listener: newTrackedListener(l, nil), signals: signals, execve: func(string, []string, []string) error {
		execs++
		return errors.New("no exec in a test")
	}}
	signals <- syscall.SIGTERM
	if err := r.exec(t.Context(), &renewalState{}, nil); !errors.Is(err, errNotRenewed) || execs != 0 {
		t.Fatalf("with a SIGTERM pending: %v, %d execs; want not renewed, no exec", err, execs)
	}
	if s := r.takenSignal(); s != syscall.SIGTERM {
		t.Fatalf("the loop gets %v, want the SIGTERM", s)
	}
	if s := r.takenSignal(); s != nil {
		t.Fatalf("the loop gets %v a second time", s)
	}
	if err := r.exec(t.Context(), &renewalState{}, nil); err == nil || errors.Is(err, errNotRenewed) || execs != 1 {
		t.Fatalf("with no signal pending: %v, %d execs; want the exec's failure", err, execs)
	}
}
