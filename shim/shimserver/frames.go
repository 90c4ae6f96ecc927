package shimserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/proto"
)

// ttrpc's framing: every message is a 10-byte header (the payload's length
// and the stream id, big-endian, then the message type and flags) and its
// payload. A unary call is one request frame from the client and one
// response frame with the same stream id from the server.
const (
	frameHeaderLen = 10
	frameRequest   = 0x1
	frameResponse  = 0x2
)

// frameHeader is a ttrpc frame's header.
type frameHeader struct {
	length   uint32
	streamID uint32
	kind     byte
}

// frameScanner follows a byte stream of ttrpc frames, fed as it is read or
// written, and hands on each whole frame (with its payload when keep says
// so).
type frameScanner struct {
	header  [frameHeaderLen]byte
	nHeader int
	current frameHeader
	left    uint32 // payload bytes still to come of current
	payload []byte // of current, when kept
	keeping bool
}

// feed follows p; frame is called for every frame p ends.
func (s *frameScanner) feed(p []byte, keep func(frameHeader) bool, frame func(frameHeader, []byte)) {
	for len(p) > 0 {
		if s.nHeader < frameHeaderLen {
			n := copy(s.header[s.nHeader:], p)
			s.nHeader += n
			p = p[n:]
			if s.nHeader < frameHeaderLen {
				return
			}
			s.current = frameHeader{
				length:   binary.BigEndian.Uint32(s.header[0:4]),
				streamID: binary.BigEndian.Uint32(s.header[4:8]),
				kind:     s.header[8],
			}
			s.left = s.current.length
			s.keeping = keep(s.current)
			s.payload = nil
		}
		n := min(uint32(len(p)), s.left)
		if s.keeping {
			s.payload = append(s.payload, p[:n]...)
		}
		s.left -= n
		p = p[n:]
		if s.left == 0 {
			frame(s.current, s.payload)
			s.nHeader, s.payload = 0, nil
		}
	}
}

// atBoundary tells whether the stream so far ends with a whole frame.
func (s *frameScanner) atBoundary() bool { return s.nHeader == 0 }

// OpenRequest is a request a client sent on a connection that the server
// has not answered yet.
type OpenRequest struct {
	StreamID uint32 `json:"stream_id"`
	Service  string `json:"service"`
	Method   string `json:"method"`
	// Request is the whole ttrpc request (service, method, payload,
	// timeout, metadata) as it came.
	Request []byte `json:"request"`
}

// trackedConn is a client's connection as the server's ttrpc server uses
// it. It follows the frames both ways so that a renewal knows which
// requests are open, can stop reading at a frame's end, and can answer a
// request that the process before it received (writeFrame).
type trackedConn struct {
	net.Conn
	set *connSet

	mu   sync.Mutex
	in   frameScanner
	out  frameScanner
	open map[uint32]OpenRequest
	// pause, when set, parks the reader (pauseReading).
	pause *readPause

	// writing is held from the first byte of a frame the server writes to
	// its last, so that writeFrame's frames never land inside one.
	writing sync.Mutex
	// midFrame is whether the server's writer is inside a frame; only
	// that writer (ttrpc writes a connection from one goroutine) uses it.
	midFrame bool
}

// readPause is one pause of a connection's (or a listener's) reader.
type readPause struct {
	parked, resume chan struct{}
	once           sync.Once
}

// Payload is the request's message (a WaitRequest for the task API's Wait).
func (r OpenRequest) Payload() ([]byte, error) {
	var req ttrpc.Request
	if err := proto.Unmarshal(r.Request, &req); err != nil {
		return nil, fmt.Errorf("decoding a ttrpc request: %w", err)
	}
	return req.Payload, nil
}

func newReadPause() *readPause {
	return &readPause{parked: make(chan struct{}), resume: make(chan struct{})}
}

func (p *readPause) park() {
	p.once.Do(func() { close(p.parked) })
	<-p.resume
}

func newTrackedConn(conn net.Conn, set *connSet, open []OpenRequest) *trackedConn {
	c := &trackedConn{Conn: conn, set: set, open: make(map[uint32]OpenRequest)}
	for _, r := range open {
		c.open[r.StreamID] = r
	}
	return c
}

// Read reads for ttrpc, noting the requests that come. Deadlines are only
// ever set to pause the reader: an expired one parks it until the pause
// ends instead of failing the connection.
func (c *trackedConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		c.mu.Lock()
		c.in.feed(p[:n], func(h frameHeader) bool { return h.kind == frameRequest }, c.requestArrived)
		pause := c.pause
		c.mu.Unlock()
		if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		if pause != nil {
			pause.park()
		}
	}
}

// requestArrived records a request frame; c.mu is held.
func (c *trackedConn) requestArrived(h frameHeader, payload []byte) {
	req := OpenRequest{StreamID: h.streamID, Request: payload}
	var decoded ttrpc.Request
	if proto.Unmarshal(payload, &decoded) == nil {
		req.Service, req.Method = decoded.Service, decoded.Method
	}
	c.open[h.streamID] = req
}

// Write writes for ttrpc, holding c.writing across each frame.
func (c *trackedConn) Write(p []byte) (int, error) {
	if !c.midFrame {
		c.writing.Lock()
	}
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.out.feed(p[:n], func(frameHeader) bool { return false }, c.frameSent)
	c.midFrame = !c.out.atBoundary() && err == nil
	c.mu.Unlock()
	if !c.midFrame {
		c.writing.Unlock()
	}
	return n, err
}

// frameSent closes the stream a response answered; c.mu is held.
func (c *trackedConn) frameSent(h frameHeader, _ []byte) {
	if h.kind == frameResponse {
		delete(c.open, h.streamID)
	}
}

// writeFrame writes one whole frame between the server's own.
func (c *trackedConn) writeFrame(kind byte, streamID uint32, payload []byte) error {
	frame := make([]byte, frameHeaderLen+len(payload))
	binary.BigEndian.PutUint32(frame[0:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(frame[4:8], streamID)
	frame[8] = kind
	copy(frame[frameHeaderLen:], payload)
	c.writing.Lock()
	defer c.writing.Unlock()
	n, err := c.Conn.Write(frame)
	c.mu.Lock()
	c.out.feed(frame[:n], func(frameHeader) bool { return false }, c.frameSent)
	c.mu.Unlock()
	return err
}

// pauseReading parks the reader at its next read; the pause's parked
// channel closes once it is parked.
func (c *trackedConn) pauseReading() *readPause {
	p := newReadPause()
	c.mu.Lock()
	c.pause = p
	c.mu.Unlock()
	_ = c.Conn.SetReadDeadline(time.Now())
	return p
}

// resumeReading ends pause p.
func (c *trackedConn) resumeReading(p *readPause) {
	_ = c.Conn.SetReadDeadline(time.Time{})
	c.mu.Lock()
	c.pause = nil
	c.mu.Unlock()
	close(p.resume)
}

// quiet tells whether every frame read and written so far is whole, and
// returns the requests still open.
func (c *trackedConn) quiet() ([]OpenRequest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.in.atBoundary() || !c.out.atBoundary() {
		return nil, false
	}
	open := make([]OpenRequest, 0, len(c.open))
	for _, r := range c.open {
		open = append(open, r)
	}
	return open, true
}

// Close closes the connection and forgets it.
func (c *trackedConn) Close() error {
	c.set.remove(c)
	return c.Conn.Close()
}

// connSet is the connections a server serves.
type connSet struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
	// added counts every connection ever added, so that a renewal sees
	// one that came while it paused the others.
	added int
}

func newConnSet() *connSet { return &connSet{conns: make(map[*trackedConn]struct{})} }

func (s *connSet) add(c *trackedConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[c] = struct{}{}
	s.added++
}

func (s *connSet) remove(c *trackedConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// snapshot returns the connections and the count of connections added.
func (s *connSet) snapshot() ([]*trackedConn, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	return conns, s.added
}
