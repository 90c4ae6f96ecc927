package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// spinociStdin runs the command line with stdin.
func spinociStdin(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// dockerConfig points $DOCKER_CONFIG at a new directory holding config
// (none when empty) and returns the config file's path.
func dockerConfig(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	path := filepath.Join(dir, "config.json")
	if config != "" {
		writeFile(t, path, config)
	}
	return path
}

const (
	testUser     = "alice"
	testPassword = "s3cret-pa55word"
)

func TestLoginStoresInDockerConfig(t *testing.T) {
	configPath := dockerConfig(t, "")
	reg, host := startTestRegistry(t)
	reg.requireAuth(testUser, testPassword)
	dir := appDir(t, "spin1")
	ref := host + "/auth/spin1:v1"

	// Without credentials: a short message with the fix, no raw Go map.
	_, stderr, code := spinoci(t, "push", "--plain-http", "--cache-dir", t.TempDir(), "--from", dir, ref)
	want := "Error: pushing to " + ref + ": authentication required for " + host + ": run spinoci login " + host + "\n"
	if code != ExitFailure || stderr != want {
		t.Errorf("push without login: exit %d\n%s\nwant %s", code, stderr, want)
	}

	// A wrong password is refused and nothing is stored.
	_, stderr, code = spinociStdin(t, "wrong\n", "login", host, "-u", testUser, "--password-stdin", "--plain-http")
	want = "Error: logging in to " + host + ": wrong username or password (the registry answered 401 Unauthorized)\n"
	if code != ExitFailure || stderr != want {
		t.Errorf("login with a wrong password: exit %d\n%s\nwant %s", code, stderr, want)
	}
	if _, err := os.Stat(configPath); err == nil {
		b, _ := os.ReadFile(configPath)
		if strings.Contains(string(b), host) {
			t.Errorf("a refused login stored credentials: %s", b)
		}
	}

	stdout, stderr, code := spinociStdin(t, testPassword+"\n", "login", host, "-u", testUser, "--password-stdin", "--plain-http")
	if code != ExitOK {
		t.Fatalf("login: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stdout+stderr, testPassword) {
		t.Errorf("login printed the password:\n%s%s", stdout, stderr)
	}
	for _, w := range []string{"WARNING: the credentials are stored unencrypted in " + configPath, "Logged in to " + host} {
		if !strings.Contains(stderr, w) {
			t.Errorf("login output lacks %q:\n%s", w, stderr)
		}
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	b, err := os.ReadFile(configPath)
	if err != nil || json.Unmarshal(b, &cfg) != nil {
		t.Fatalf("config.json: %v\n%s", err, b)
	}
	if got := cfg.Auths[host].Auth; got != base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword)) {
		t.Errorf("config.json auths[%s].auth = %q", host, got)
	}

	// Every command uses the stored credentials.
	push(t, reg, host, "auth/spin1:v1", dir)
	if _, stderr, code := spinoci(t, "pull", "--plain-http", "--cache-dir", t.TempDir(), ref); code != ExitOK {
		t.Errorf("pull after login: exit %d\n%s", code, stderr)
	}

	_, stderr, code = spinoci(t, "logout", host)
	if code != ExitOK || !strings.Contains(stderr, "Removed the credentials of "+host) {
		t.Errorf("logout: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(configPath); strings.Contains(string(b), host) {
		t.Errorf("config.json keeps %s after logout: %s", host, b)
	}
	_, stderr, code = spinoci(t, "logout", host)
	if code != ExitOK || !strings.Contains(stderr, "Not logged in to "+host) {
		t.Errorf("second logout: exit %d\n%s", code, stderr)
	}
	_, stderr, code = spinoci(t, "inspect", "--plain-http", ref)
	want = "Error: resolving " + ref + ": authentication required for " + host + ": run spinoci login " + host + "\n"
	if code != ExitFailure || stderr != want {
		t.Errorf("inspect after logout: exit %d\n%s\nwant %s", code, stderr, want)
	}
}

// fakeHelper installs docker-credential-spinocitest on PATH: a credential
// helper that keeps one credential in a file, and returns that file.
func fakeHelper(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	store := filepath.Join(t.TempDir(), "stored.json")
	script := `#!/bin/sh
case "$1" in
store) cat > "` + store + `" ;;
get) read server; if [ -f "` + store + `" ]; then cat "` + store + `"; else echo "credentials not found in native keychain"; exit 1; fi ;;
erase) read server; rm -f "` + store + `" ;;
list) echo "{}" ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-spinocitest"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return store
}

func TestLoginUsesCredentialHelpers(t *testing.T) {
	reg, host := startTestRegistry(t)
	reg.requireAuth(testUser, testPassword)
	for name, config := range map[string]string{
		"credsStore":  `{"credsStore": "spinocitest"}`,
		"credHelpers": `{"credHelpers": {"` + host + `": "spinocitest"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			configPath := dockerConfig(t, config)
			store := fakeHelper(t)
			_, stderr, code := spinociStdin(t, testPassword, "login", host, "-u", testUser, "--password-stdin", "--plain-http")
			if code != ExitOK || strings.Contains(stderr, "WARNING") || !strings.Contains(stderr, "credentials stored by the credential helper") {
				t.Fatalf("login: exit %d\n%s", code, stderr)
			}
			b, err := os.ReadFile(store)
			if err != nil || !strings.Contains(string(b), testPassword) || !strings.Contains(string(b), host) {
				t.Errorf("the helper stored %q (%v)", b, err)
			}
			if b, _ := os.ReadFile(configPath); strings.Contains(string(b), base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword))) {
				t.Errorf("config.json holds the password: %s", b)
			}
			push(t, reg, host, "helper/"+strings.ToLower(name)+":v1", appDir(t, "spin2"))
			if _, stderr, code := spinoci(t, "logout", host); code != ExitOK {
				t.Errorf("logout: exit %d\n%s", code, stderr)
			}
			if _, err := os.Stat(store); err == nil {
				t.Errorf("logout left the helper's credential")
			}
		})
	}
}

func TestLoginArguments(t *testing.T) {
	dockerConfig(t, "")
	reg, host := startTestRegistry(t)
	reg.requireAuth(testUser, testPassword)

	// -p works, with a warning; the password is not echoed.
	_, stderr, code := spinoci(t, "login", host, "-u", testUser, "-p", testPassword, "--plain-http")
	if code != ExitOK || !strings.Contains(stderr, "WARNING: a password given with -p may be seen by other users") || strings.Contains(stderr, testPassword) {
		t.Errorf("login -p: exit %d\n%s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"login", host, "-u", testUser}, "no password: pipe it to --password-stdin (or give -p)"},
		{[]string{"login", host, "--password-stdin"}, "--password-stdin needs --username (-u)"},
		{[]string{"login", host, "-u", testUser, "-p", "x", "--password-stdin"}, "[password password-stdin] were all set"},
		{[]string{"login", "ghcr", "-u", testUser, "-p", "x"}, "ghcr is not a registry host (e.g. ghcr.io, docker.io or localhost:5000)"},
		{[]string{"login"}, "accepts 1 arg(s), received 0"},
	} {
		_, stderr, code := spinoci(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("spinoci %v: exit %d\n%s\nwant %q", tc.args, code, stderr, tc.want)
		}
	}
}
