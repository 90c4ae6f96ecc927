// Package containerdapi calls the few methods of containerd's gRPC API a
// shim server needs to read a container's image (the container's record,
// the image's target, content blobs) over HTTP/2 from the standard
// library, with the messages encoded by hand. A shim server runs per
// container and reads an image once per start: grpc-go and the API's
// generated clients would cost it more start-up time and memory than these
// calls need.
package containerdapi

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	// namespaceHeader carries the namespace of a call to containerd.
	namespaceHeader = "containerd-namespace"
	// maxMessage bounds a reply message: containerd sends content in
	// messages of 1 MiB at most, records in far less.
	maxMessage = 16 << 20
)

// Client calls containerd's gRPC API at one address; the calls take the
// namespace from their context. It connects at the first call and Close
// drops the connection.
type Client struct {
	transport *http.Transport
	client    *http.Client
}

// New returns a client of the containerd at address (a unix socket path,
// with or without "unix://").
func New(address string) *Client {
	path := strings.TrimPrefix(address, "unix://")
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	t := &http.Transport{
		Protocols: &protocols,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}
	return &Client{transport: t, client: &http.Client{Transport: t}}
}

// Close drops the connection to containerd.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
}

// call starts the unary or server-streaming call method with the encoded
// request and returns the reply stream.
func (c *Client) call(ctx context.Context, method string, request []byte) (*stream, error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return nil, err
	}
	body := make([]byte, 5+len(request))
	binary.BigEndian.PutUint32(body[1:5], uint32(len(request)))
	copy(body[5:], request)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://containerd"+method, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	req.Header.Set(namespaceHeader, ns)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling containerd's %s: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("calling containerd's %s: HTTP status %s", method, resp.Status)
	}
	// A call that fails before any reply ends in its headers.
	if err := statusError(resp.Header); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return &stream{resp: resp}, nil
}

// stream is the reply of a call: length-prefixed messages, then the call's
// status in the trailers.
type stream struct {
	resp   *http.Response
	header [5]byte
	// buf holds the last message. A blob comes in messages of up to 1 MiB:
	// a fresh buffer for each would make reading it allocate its size again,
	// in memory new to the process, whose every page is a fault.
	buf []byte
}

// next returns the next message, or io.EOF once the call has ended well.
// The message is valid until the next call of next.
func (s *stream) next() ([]byte, error) {
	if _, err := io.ReadFull(s.resp.Body, s.header[:]); err != nil {
		if errors.Is(err, io.EOF) {
			// The status is in the trailers, or in the headers of a reply
			// that has nothing else ("trailers-only").
			status := s.resp.Trailer
			if status.Get("Grpc-Status") == "" {
				status = s.resp.Header
			}
			if status.Get("Grpc-Status") == "" {
				return nil, errors.New("containerd's reply ended without a status")
			}
			if err := statusError(status); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		return nil, fmt.Errorf("reading containerd's reply: %w", err)
	}
	if s.header[0] != 0 {
		return nil, errors.New("containerd sent a compressed message, which was not asked for")
	}
	n := binary.BigEndian.Uint32(s.header[1:])
	if n > maxMessage {
		return nil, fmt.Errorf("containerd sent a message of %d bytes, more than %d", n, maxMessage)
	}
	if uint32(cap(s.buf)) < n {
		s.buf = make([]byte, n)
	}
	msg := s.buf[:n]
	if _, err := io.ReadFull(s.resp.Body, msg); err != nil {
		return nil, fmt.Errorf("reading containerd's reply: %w", err)
	}
	return msg, nil
}

// unary returns the one message of a unary call's reply.
func (s *stream) unary() ([]byte, error) {
	defer s.close()
	msg, err := s.next()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("containerd's reply has no message")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.next(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("containerd's reply has more than one message")
		}
		return nil, err
	}
	return msg, nil
}

func (s *stream) close() { s.resp.Body.Close() }

// statusError is the error of a call whose status is in h (nil: none, or
// OK), of the errdefs kind its gRPC code maps to.
func statusError(h http.Header) error {
	code := h.Get("Grpc-Status")
	if code == "" || code == "0" {
		return nil
	}
	n, err := strconv.Atoi(code)
	if err != nil {
		return fmt.Errorf("containerd replied with an invalid status %q", code)
	}
	msg, err := url.PathUnescape(h.Get("Grpc-Message"))
	if err != nil {
		msg = h.Get("Grpc-Message")
	}
	return errgrpc.ToNative(status.Error(codes.Code(n), msg))
}
