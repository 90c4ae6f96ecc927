package shimserver

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/proto"
)

// frame encodes one ttrpc frame.
func frame(kind byte, streamID uint32, payload []byte) []byte {
	b := make([]byte, frameHeaderLen, frameHeaderLen+len(payload))
	binary.BigEndian.PutUint32(b[0:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[4:8], streamID)
	b[8] = kind
	return append(b, payload...)
}

// TestFrameScannerFollowsSplitFrames: frames are found whatever the reads'
// sizes, a frame without payload included, and the scanner knows when the
// stream ends mid-frame.
func TestFrameScannerFollowsSplitFrames(t *testing.T) {
	stream := append(append(frame(frameRequest, 1, []byte("first")), frame(frameResponse, 3, nil)...), frame(frameRequest, 5, []byte("third"))...)
	for _, chunk := range []int{1, 3, 10, len(stream)} {
		var s frameScanner
		var got []string
		for i := 0; i < len(stream); i += chunk {
			end := min(i+chunk, len(stream))
			s.feed(stream[i:end], func(frameHeader) bool { return true }, func(h frameHeader, p []byte) {
				got = append(got, fmt.Sprintf("%d:%s", h.streamID, p))
			})
			if end < len(stream) && end != 15 && end != 25 && s.atBoundary() {
				t.Fatalf("chunks of %d: at a boundary after %d bytes", chunk, end)
			}
		}
		if want := []string{"1:first", "3:", "5:third"}; !slices.Equal(got, want) || !s.atBoundary() {
			t.Errorf("chunks of %d: frames %q (at boundary: %v), want %q", chunk, got, s.atBoundary(), want)
		}
	}
}

// socketPair is two connected Unix sockets.
func socketPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socket")
		if conns[i], err = net.FileConn(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		t.Cleanup(func() { conns[i].Close() })
	}
	return conns[0], conns[1]
}

// TestTrackedConnKnowsOpenRequestsAndKeepsFramesWhole: a request read is
// open until its response is written; a frame written by writeFrame while
// the server's writer is inside a frame goes after that frame, not into it.
func TestTrackedConnKnowsOpenRequestsAndKeepsFramesWhole(t *testing.T) {
	server, client := socketPair(t)
	c := newTrackedConn(server, newConnSet(), nil)
	req, err := proto.Marshal(&ttrpc.Request{Service: "test.S", Method: "Wait", Payload: []byte("w")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write(frame(frameRequest, 7, req)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, frameHeaderLen+len(req))); err != nil {
		t.Fatal(err)
	}
	open, whole := c.quiet()
	if !whole || len(open) != 1 || open[0].StreamID != 7 || open[0].Method != "Wait" || open[0].Service != "test.S" {
		t.Fatalf("open requests %+v (whole: %v), want stream 7's Wait", open, whole)
	}
	if p, err := open[0].Payload(); err != nil || string(p) != "w" {
		t.Fatalf("Payload: %q %v", p, err)
	}

	response := frame(frameResponse, 7, []byte("the response"))
	if _, err := c.Write(response[:4]); err != nil {
		t.Fatal(err)
	}
	if _, whole := c.quiet(); whole {
		t.Error("quiet says whole in the middle of a response")
	}
	handedOver := make(chan error, 1)
	go func() { handedOver <- c.writeFrame(frameResponse, 9, []byte("handed over")) }()
	time.Sleep(50 * time.Millisecond) // writeFrame waits for the frame's end
	if _, err := c.Write(response[4:]); err != nil {
		t.Fatal(err)
	}
	if err := <-handedOver; err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte(nil), response...), frame(frameResponse, 9, []byte("handed over"))...)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the client read %q, want %q", got, want)
	}
	if open, whole := c.quiet(); !whole || len(open) != 0 {
		t.Errorf("after the response: open %+v (whole: %v), want none", open, whole)
	}
}

// TestTrackedConnPausesItsReader: a paused reader parks instead of failing,
// and reads on once resumed.
func TestTrackedConnPausesItsReader(t *testing.T) {
	server, client := socketPair(t)
	c := newTrackedConn(server, newConnSet(), nil)
	read := make(chan string, 1)
	go func() {
		b := make([]byte, 5)
		_, err := io.ReadFull(c, b)
		if err != nil {
			read <- err.Error()
			return
		}
		read <- string(b)
	}()
	pause := c.pauseReading()
	select {
	case <-pause.parked:
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not park")
	}
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-read:
		t.Fatalf("the paused reader returned %q", got)
	case <-time.After(100 * time.Millisecond):
	}
	c.resumeReading(pause)
	select {
	case got := <-read:
		if got != "hello" {
			t.Fatalf("after the pause the reader returned %q, want hello", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not go on after the pause")
	}
}
