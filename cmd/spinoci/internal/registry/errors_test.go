package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"oras.land/oras-go/v2/registry/remote/errcode"
)

func TestExplain(t *testing.T) {
	urlErr := func(err error) error {
		return fmt.Errorf("artifact: pack: %w", &url.Error{Op: "Get", URL: "https://ghcr.io/v2/", Err: err})
	}
	withDetail := errcode.Errors{{Code: "UNAUTHORIZED", Message: "authentication required",
		Detail: []any{map[string]any{"Type": "repository", "Name": "me/app", "Action": "pull"}}}}
	cert := &x509.Certificate{DNSNames: []string{"other.example"}}
	for _, tc := range []struct {
		name string
		err  error
		opts Options
		want string
	}{
		{"401", &errcode.ErrorResponse{Method: "GET", URL: &url.URL{}, StatusCode: 401, Errors: withDetail}, Options{},
			"authentication required for ghcr.io: run spinoci login ghcr.io"},
		{"403", fmt.Errorf("x: %w", &errcode.ErrorResponse{Method: "GET", URL: &url.URL{}, StatusCode: 403}), Options{},
			"authentication denied for ghcr.io (no access to this repository): run spinoci login ghcr.io with an account that has access"},
		{"other answer", &errcode.ErrorResponse{Method: "GET", URL: &url.URL{}, StatusCode: 404, Errors: errcode.Errors{{Code: "MANIFEST_UNKNOWN", Message: "unknown", Detail: map[string]any{"Tag": "v1"}}}}, Options{},
			"ghcr.io answered 404 Not Found: manifest unknown: unknown"},
		{"plain HTTP registry", urlErr(errors.New("http: server gave HTTP response to HTTPS client")), Options{},
			"ghcr.io answers plain HTTP, not HTTPS: use --plain-http"},
		{"unknown authority", urlErr(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), Options{},
			"the TLS certificate of ghcr.io is signed by an unknown authority: trust its CA with --ca-file PATH, or skip verification with --insecure"},
		{"wrong name", urlErr(&tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: cert, Host: "ghcr.io"}}), Options{},
			"the TLS certificate of ghcr.io is not valid for that name (x509: certificate is valid for other.example, not ghcr.io): use the name it was issued for, or skip verification with --insecure"},
		{"expired", urlErr(x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired, Detail: "it ended"}), Options{},
			"the TLS certificate of ghcr.io is not valid (x509: certificate has expired or is not yet valid: it ended): renew it, or skip verification with --insecure"},
		{"refused", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), Options{},
			"cannot reach the registry at ghcr.io:443: connection refused (check the host and port, and that the registry is running)"},
		{"refused, plain HTTP", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), Options{PlainHTTP: true},
			"cannot reach the registry at ghcr.io:80: connection refused (check the host and port, and that the registry is running)"},
		{"no such host", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "ghcr.io", IsNotFound: true}}), Options{},
			"cannot reach the registry at ghcr.io:443: no such host (check the name)"},
		{"timeout", urlErr(context.DeadlineExceeded), Options{},
			"cannot reach the registry at ghcr.io:443: timed out (check the host, port and network)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Explain(tc.err, "ghcr.io", tc.opts)
			var e *Error
			if !errors.As(got, &e) || got.Error() != tc.want {
				t.Errorf("Explain: %v\nwant %s", got, tc.want)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("Explain does not wrap the error")
			}
			if again := Explain(fmt.Errorf("more: %w", got), "ghcr.io", tc.opts); again.Error() != "more: "+tc.want {
				t.Errorf("explained twice: %v", again)
			}
		})
	}
	plain := errors.New("something else")
	if got := Explain(plain, "ghcr.io", Options{}); got != plain {
		t.Errorf("an unknown error was changed: %v", got)
	}
	if got := Explain(fmt.Errorf("x: %w", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), "docker.io", Options{}); got.Error() !=
		"cannot reach the registry at registry-1.docker.io:443: connection refused (check the host and port, and that the registry is running)" {
		t.Errorf("Docker Hub: %v", got)
	}
}
