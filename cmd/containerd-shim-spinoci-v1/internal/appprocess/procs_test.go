package appprocess

import (
	"net"
	"os"
	"testing"

	"github.com/spinoci/spinoci/shim/appproto"
)

// TestProcScalerScalesUpOnConcurrentConnections: connections one at a time
// leave the app on one P; the second connection open at once scales it up,
// once; later connections are passed through unwrapped.
func TestProcScalerScalesUpOnConcurrentConnections(t *testing.T) {
	raised := 0
	p := &procScaler{raiseProcs: func() { raised++ }}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := p.listener(tcp)
	defer ln.Close()
	accept := func() net.Conn {
		t.Helper()
		client, err := net.Dial("tcp", tcp.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close() })
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	for range 3 {
		c := accept()
		c.Close()
		c.Close() // a second Close must not count twice
	}
	if raised != 0 {
		t.Fatalf("connections one at a time scaled up %d times", raised)
	}
	first := accept()
	if raised != 0 {
		t.Fatalf("one open connection scaled up %d times", raised)
	}
	second := accept()
	if raised != 1 {
		t.Fatalf("two open connections scaled up %d times, want 1", raised)
	}
	first.Close()
	second.Close()
	third, fourth := accept(), accept()
	if raised != 1 {
		t.Errorf("scaled up %d times, want once", raised)
	}
	if _, wrapped := fourth.(*countedConn); wrapped {
		t.Errorf("a connection after the scale-up is still counted")
	}
	third.Close()
	fourth.Close()
}

// TestStartedOnOneProc: only an app the shim started on one P gets a
// scaler, and the shim's GOMAXPROCS leaves its environment; a nil scaler
// changes nothing.
func TestStartedOnOneProc(t *testing.T) {
	t.Setenv(appproto.ProcsEnv, "1")
	if p := startedOnOneProc(false); p != nil {
		t.Errorf("an app not started on one P got a scaler")
	}
	if got := os.Getenv(appproto.ProcsEnv); got != "1" {
		t.Errorf("%s=%q after an app not started on one P, want the container's 1", appproto.ProcsEnv, got)
	}
	if p := startedOnOneProc(true); p == nil || p.raiseProcs == nil {
		t.Fatalf("an app started on one P got no scaler")
	}
	if _, set := os.LookupEnv(appproto.ProcsEnv); set {
		t.Errorf("%s still set after an app started on one P", appproto.ProcsEnv)
	}

	var none *procScaler
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	if ln := none.listener(tcp); ln != tcp {
		t.Errorf("a nil scaler wrapped the listener")
	}
	none.scaleUp() // must not panic
}
