package shim

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// listenUnix listens on a socket in a fresh directory and writes the
// bundle's bootstrap.json naming it, as containerd does after the start
// action.
func listenUnix(t *testing.T, bundle string) (*net.UnixListener, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shim.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	data := []byte(`{"version":3,"address":"unix://` + path + `","protocol":"ttrpc"}`)
	if err := os.WriteFile(filepath.Join(bundle, bootstrapFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return l, path
}

func TestStopRemovesDeadServerSocket(t *testing.T) {
	bundle := t.TempDir()
	l, path := listenUnix(t, bundle)
	l.Close() // the server was killed: its socket file stays behind
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("socket file should exist before delete: %v", err)
	}
	t.Chdir(bundle)
	if _, err := DeleteAction(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left after delete: %v", err)
	}
	// A second delete finds nothing to remove and still succeeds.
	if _, err := DeleteAction(context.Background(), "c1"); err != nil {
		t.Errorf("second stop: %v", err)
	}
}

func TestStopKeepsLiveServerSocket(t *testing.T) {
	bundle := t.TempDir()
	l, path := listenUnix(t, bundle)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Chdir(bundle)
	if _, err := DeleteAction(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a live group server's socket was removed: %v", err)
	}
}

func TestRecordedSocketAddressErrors(t *testing.T) {
	bundle := t.TempDir()
	if _, err := recordedSocketAddress(bundle); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for _, data := range []string{`{`, `{"version":3}`} {
		if err := os.WriteFile(filepath.Join(bundle, bootstrapFile), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := recordedSocketAddress(bundle); err == nil {
			t.Errorf("%s: no error", data)
		}
	}
}
