package outboundhttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/engine/capability/network"
)

func kindOf(err error) ErrorKind {
	var oerr *Error
	if errors.As(err, &oerr) {
		return oerr.Kind
	}
	return 0
}

func TestSendErrorKinds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	only, err := network.ParseAllowedHTTPHosts([]string{host})
	if err != nil {
		t.Fatal(err)
	}
	all, err := network.ParseAllowedHTTPHosts([]string{"insecure:allow-all"})
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(time.Second)
	for _, tc := range []struct {
		name    string
		allowed *network.AllowedHosts
		req     Request
		want    ErrorKind
	}{
		{"not allowed", only, Request{Method: "GET", URL: "http://example.com/"}, DestinationNotAllowed},
		{"no allow-list", nil, Request{Method: "GET", URL: srv.URL}, DestinationNotAllowed},
		{"relative, self not allowed", only, Request{Method: "GET", URL: "/x"}, DestinationNotAllowed},
		{"relative, not listening", all, Request{Method: "GET", URL: "/x"}, RuntimeError},
		{"invalid URL", all, Request{Method: "GET", URL: "not a url"}, InvalidURL},
		{"not http", all, Request{Method: "GET", URL: "ftp://" + host + "/"}, InvalidURL},
		{"bad header", all, Request{Method: "GET", URL: srv.URL, Headers: [][2]string{{"bad name", "x"}}}, RequestError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Send(context.Background(), tc.allowed, &tc.req)
			if resp != nil || kindOf(err) != tc.want {
				t.Errorf("Send = %v, %v (kind %d), want kind %d", resp, err, kindOf(err), tc.want)
			}
		})
	}
}

func TestSendSelfAndHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-B", "2")
		w.Header().Add("X-A", "1")
		w.Header().Add("X-A", "1b")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte(r.Host + " " + r.URL.Path))
	}))
	defer srv.Close()
	self, err := network.ParseAllowedHTTPHosts([]string{"self"})
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(time.Second)
	c.SetListenAddr(srv.Listener.Addr())
	if got := c.SelfOrigin(); got != srv.URL {
		t.Fatalf("SelfOrigin = %q, want %q", got, srv.URL)
	}
	resp, err := c.Send(context.Background(), self, &Request{Method: "GET", URL: "/path", Headers: [][2]string{{"Host", "example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusTeapot || string(resp.Body) != "example.com /path" {
		t.Errorf("response %d %q", resp.Status, resp.Body)
	}
	var names []string
	for _, h := range resp.Headers {
		names = append(names, h[0]+"="+h[1])
	}
	if got := strings.Join(names, ","); !strings.HasPrefix(got, "content-length=") || !strings.HasSuffix(got, ",x-a=1,x-a=1b,x-b=2") {
		t.Errorf("headers %s: want lowercase, sorted by name, one pair per value", got)
	}
}

func TestSetListenAddrUnspecified(t *testing.T) {
	c := NewClient(time.Second)
	if c.SelfOrigin() != "" {
		t.Fatal("origin before SetListenAddr")
	}
	c.SetListenAddr(&net.TCPAddr{IP: net.IPv6unspecified, Port: 80})
	if got := c.SelfOrigin(); got != "http://[::1]:80" {
		t.Errorf("origin %q", got)
	}
	c.SetListenAddr(&net.TCPAddr{Port: 8080})
	if got := c.SelfOrigin(); got != "http://127.0.0.1:8080" {
		t.Errorf("origin %q", got)
	}
}
