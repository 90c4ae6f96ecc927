package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Response is a complete HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// HTTPClient is the harness's client: no keep-alive (each request sees the
// server as a new client would), a 10 s limit per request.
func HTTPClient() *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
}

// Do sends a request with an optional body and reads the whole response.
func Do(ctx context.Context, method, url, body string) (Response, error) {
	return DoWith(ctx, method, url, body, nil)
}

// DoWith is Do with request headers.
func DoWith(ctx context.Context, method, url, body string, header http.Header) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := HTTPClient().Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: reading body: %w", method, url, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}

// Get is Do with GET.
func Get(ctx context.Context, url string) (Response, error) { return Do(ctx, http.MethodGet, url, "") }

// WaitHTTP polls url with GET every 5 ms until it answers 200 and returns
// that response, or fails after timeout (or when ctx ends).
func WaitHTTP(ctx context.Context, url string, timeout time.Duration) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return Response{}, err
		}
		resp, err := client.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && rerr == nil {
				return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
			}
			last = fmt.Sprintf("status %d: %s", resp.StatusCode, truncate(string(b), 200))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return Response{}, fmt.Errorf("GET %s: no 200 within %v (last: %s)", url, timeout, last)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
