package cli

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// answering serves every request with status and body, as a registry that
// refuses access does.
func answering(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestRegistryErrorMessages checks that each kind of registry failure is
// one short line naming the registry and the fix, without Go structures.
func TestRegistryErrorMessages(t *testing.T) {
	dockerConfig(t, "")
	_, plain := startTestRegistry(t)
	_, tlsHost, ca := startTLSTestRegistry(t)
	denied := answering(t, http.StatusForbidden, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":[{"Type":"repository","Name":"x","Action":"push"}]}]}`)
	noChallenge := answering(t, http.StatusUnauthorized, unauthorized)
	invalid := answering(t, http.StatusBadRequest, `{"errors":[{"code":"NAME_INVALID","message":"invalid repository name","detail":{"rule":"[a-z]+"}}]}`)
	spin1 := appDir(t, "spin1")
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	writeFile(t, garbage, "not a certificate\n")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"plain HTTP registry over HTTPS", []string{"inspect", plain + "/x:v1"},
			"Error: resolving " + plain + "/x:v1: " + plain + " answers plain HTTP, not HTTPS: use --plain-http\n"},
		{"unknown certificate authority", []string{"pull", tlsHost + "/x:v1"},
			"Error: pulling " + tlsHost + "/x:v1: the TLS certificate of " + tlsHost + " is signed by an unknown authority: trust its CA with --ca-file PATH, or skip verification with --insecure\n"},
		{"plain HTTP to an HTTPS registry", []string{"inspect", "--plain-http", tlsHost + "/x:v1"},
			"Error: resolving " + tlsHost + "/x:v1: " + tlsHost + " refused a plain HTTP request (400 Bad Request): if it serves HTTPS, leave out --plain-http\n"},
		{"access denied", []string{"push", "--plain-http", "--from", spin1, denied + "/x:v1"},
			"Error: pushing to " + denied + "/x:v1: authentication denied for " + denied + " (no access to this repository): run spinoci login " + denied + " with an account that has access\n"},
		{"401 without a challenge", []string{"pull", "--plain-http", noChallenge + "/x:v1"},
			"Error: pulling " + noChallenge + "/x:v1: authentication required for " + noChallenge + ": run spinoci login " + noChallenge + "\n"},
		{"other registry error", []string{"push", "--plain-http", "--from", spin1, invalid + "/x:v1"},
			"Error: pushing to " + invalid + "/x:v1: " + invalid + " answered 400 Bad Request: name invalid: invalid repository name\n"},
		{"connection refused", []string{"run", "--plain-http", "127.0.0.1:1/x:v1"},
			"Error: pulling 127.0.0.1:1/x:v1: cannot reach the registry at 127.0.0.1:1: connection refused (check the host and port, and that the registry is running)\n"},
		{"connection refused, default port", []string{"inspect", "localhost/x:v1"},
			"Error: resolving localhost/x:v1: cannot reach the registry at localhost:443: connection refused (check the host and port, and that the registry is running)\n"},
		{"missing CA file", []string{"inspect", "--ca-file", "/nonexistent/ca.pem", tlsHost + "/x:v1"},
			"Error: reading --ca-file: open /nonexistent/ca.pem: no such file or directory\n"},
		{"CA file without certificates", []string{"inspect", "--ca-file", garbage, tlsHost + "/x:v1"},
			"Error: --ca-file " + garbage + " holds no PEM certificate\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := spinoci(t, append([]string{"--cache-dir", t.TempDir()}, tc.args...)...)
			if code != ExitFailure || stderr != tc.want {
				t.Errorf("exit %d, stderr\n%s\nwant\n%s", code, stderr, tc.want)
			}
			if strings.Contains(stderr, "map[") || strings.Contains(stderr, "{") {
				t.Errorf("a Go value in the message: %s", stderr)
			}
		})
	}

	// The TLS registry works once its CA is trusted, or with --insecure.
	for _, flags := range [][]string{{"--ca-file", ca}, {"--insecure"}} {
		dir := appDir(t, "spin2")
		args := append([]string{"push", "--cache-dir", t.TempDir(), "--from", dir, "--annotation", created, tlsHost + "/tls/spin2:v1"}, flags...)
		if _, stderr, code := spinoci(t, args...); code != ExitOK {
			t.Fatalf("push %v: exit %d\n%s", flags, code, stderr)
		}
		args = append([]string{"inspect", "--json", tlsHost + "/tls/spin2:v1"}, flags...)
		if stdout, stderr, code := spinoci(t, args...); code != ExitOK || !strings.Contains(stdout, `"layout": "spin-b"`) {
			t.Errorf("inspect %v: exit %d\n%s%s", flags, code, stdout, stderr)
		}
	}
}
