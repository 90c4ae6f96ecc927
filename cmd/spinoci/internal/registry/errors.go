package registry

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Error is a failure talking to a registry, said briefly for people with
// the fix to try. It wraps the underlying error.
type Error struct {
	// Message names the registry, the problem and the fix.
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// plainHTTPAnswer is net/http's error for a TLS handshake answered with
// HTTP (it has no error value to test for).
const plainHTTPAnswer = "server gave HTTP response to HTTPS client"

// Explain turns err, from talking to the registry host with opts, into an
// *Error when it is a known kind: authentication (401/403), TLS
// verification, an HTTP-only registry reached over HTTPS, an unreachable
// host, or any other error answer of the registry (whose details, raw
// structures, are left out). Other errors are returned unchanged.
func Explain(err error, host string, opts Options) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	msg := explain(err, host, opts)
	if msg == "" {
		return err
	}
	return &Error{Message: msg, Err: err}
}

func explain(err error, host string, opts Options) string {
	var resp *errcode.ErrorResponse
	var unknownCA x509.UnknownAuthorityError
	var wrongName x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var dnsErr *net.DNSError
	var netErr net.Error
	isResp := errors.As(err, &resp)
	switch {
	case isResp && resp.StatusCode == http.StatusUnauthorized, errors.Is(err, auth.ErrBasicCredentialNotFound):
		return fmt.Sprintf("authentication required for %s: run spinoci login %s", host, host)
	case isResp && resp.StatusCode == http.StatusForbidden:
		return fmt.Sprintf("authentication denied for %s (no access to this repository): run spinoci login %s with an account that has access", host, host)
	case isResp && opts.PlainHTTP && resp.StatusCode == http.StatusBadRequest && len(resp.Errors) == 0:
		return fmt.Sprintf("%s refused a plain HTTP request (400 Bad Request): if it serves HTTPS, leave out --plain-http", host)
	case isResp:
		return fmt.Sprintf("%s answered %d %s%s", host, resp.StatusCode, http.StatusText(resp.StatusCode), registryErrors(resp.Errors))
	case strings.Contains(err.Error(), plainHTTPAnswer):
		return fmt.Sprintf("%s answers plain HTTP, not HTTPS: use --plain-http", host)
	case errors.As(err, &unknownCA):
		return fmt.Sprintf("the TLS certificate of %s is signed by an unknown authority: trust its CA with --ca-file PATH, or skip verification with --insecure", host)
	case errors.As(err, &wrongName):
		return fmt.Sprintf("the TLS certificate of %s is not valid for that name (%v): use the name it was issued for, or skip verification with --insecure", host, wrongName)
	case errors.As(err, &invalidCert):
		return fmt.Sprintf("the TLS certificate of %s is not valid (%v): renew it, or skip verification with --insecure", host, invalidCert)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot reach the registry at %s: connection refused (check the host and port, and that the registry is running)", hostPort(host, opts))
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Sprintf("cannot reach the registry at %s: no such host (check the name)", hostPort(host, opts))
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("cannot reach the registry at %s: timed out (check the host, port and network)", hostPort(host, opts))
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("cannot reach the registry at %s: no route to the host (check the network)", hostPort(host, opts))
	}
	return ""
}

// registryErrors lists the codes and messages of a registry's error
// answer, without their details (arbitrary JSON, e.g. the access scopes
// asked for).
func registryErrors(errs errcode.Errors) string {
	var parts []string
	for _, e := range errs {
		code := strings.ToLower(strings.ReplaceAll(e.Code, "_", " "))
		if e.Message != "" {
			code += ": " + e.Message
		}
		parts = append(parts, code)
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

// hostPort is the address spinoci dials for the registry host.
func hostPort(host string, opts Options) string {
	h := apiHost(host)
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	if opts.PlainHTTP {
		return net.JoinHostPort(h, "80")
	}
	return net.JoinHostPort(h, "443")
}
