package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// testStartFailuresReportedOnce runs apps that cannot start in the
// foreground, as an operator would: ctr's output (which also carries the
// container's stderr) names the problem once, with no bare error-class
// lines, and containerd's log (where the shim's log goes) names it once.
func testStartFailuresReportedOnce(t *testing.T, f *fixture) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name, repo, addr, want string
	}{
		{name: "bind error", repo: repoMulti, addr: busy.Addr().String(), want: "address already in use"},
		{name: "bad artifact", repo: repoLinux, addr: "127.0.0.1:1", want: "not a Spin application"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := f.d.For(t)
			id := fmt.Sprintf("startfail-%d", i)
			t.Cleanup(func() { cleanupContainer(t, d, id) })
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, code := d.CtrContext(ctx, append(append([]string{"run", "--rm"}, runArgs(tc.addr)...), f.ref(tc.repo), id)...)
			if code == 0 {
				t.Fatalf("ctr run succeeded, want a failure naming %q", tc.want)
			}
			if n := strings.Count(out, tc.want); n != 1 {
				t.Errorf("ctr output names %q %d times, want once:\n%s", tc.want, n, out)
			}
			for _, line := range strings.Split(out, "\n") {
				if l := strings.TrimSpace(strings.TrimPrefix(line, "ctr:")); l == "failed precondition" || l == "invalid argument" {
					t.Errorf("ctr output has a bare %q line:\n%s", l, out)
				}
			}
			for _, class := range []string{"failed precondition", "invalid argument"} {
				if strings.Count(out, class) > 1 {
					t.Errorf("ctr output repeats the error class %q:\n%s", class, out)
				}
			}
			assertNoLeftovers(t, d, id)
			// The shim's log reaches containerd's through the bundle's log
			// FIFO, which the daemon copies asynchronously.
			var logged int
			_ = waitFor(5*time.Second, func() bool {
				logged = countLogLines(t, d.Log, id, tc.want)
				return logged > 0
			})
			if logged != 1 {
				t.Errorf("containerd's log names %q for %s on %d lines, want 1:\n%s", tc.want, id, logged, grepLines(d.Log, id))
			}
		})
	}
}

// countLogLines counts the lines of the log file that mention both id and
// want.
func countLogLines(t *testing.T, path, id, want string) int {
	t.Helper()
	n := 0
	for _, l := range strings.Split(grepLines(path, id), "\n") {
		if strings.Contains(l, want) {
			n++
		}
	}
	return n
}

// grepLines returns the lines of the file that mention s.
func grepLines(path, s string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
