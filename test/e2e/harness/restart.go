package harness

import "time"

// startDaemon starts the containerd process with the daemon's binary,
// environment and configuration.
func (d *Containerd) startDaemon() (*process, error) {
	return startProcess("containerd "+d.Version, d.Log, d.env, d.bin, "--config", d.Config, "--log-level", "debug")
}

// Restart stops the daemon with SIGTERM and starts it again with the same
// configuration, as a node's service manager does; shims and their tasks
// keep running across it.
func (d *Containerd) Restart(t T) {
	t.Helper()
	if killed := d.proc.stop(10 * time.Second); killed {
		t.Errorf("containerd %s did not stop within 10s of SIGTERM; killed", d.Version)
	}
	proc, err := d.startDaemon()
	if err != nil {
		t.Fatalf("restart containerd %s: %v", d.Version, err)
	}
	d.proc = proc
	if err := d.waitReady(30 * time.Second); err != nil {
		t.Fatalf("restarted containerd %s: %v\ncontainerd log (tail):\n%s", d.Version, err, proc.logTail(80))
	}
}
