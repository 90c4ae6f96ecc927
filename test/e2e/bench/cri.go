package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// podMemory is the idle memory of one CRI pod running the hello app.
type podMemory struct {
	shim, pause, app report.Memory
}

func (p podMemory) total() report.Memory { return p.shim.Add(p.pause).Add(p.app) }

// measurePods starts a containerd with CRI (sharing the compiled-module
// cache, so the app loads cached code), runs pods host-network pods of one
// hello container each, and reads the PSS of each pod's shim server (its
// share of it, if pods share one), pause process and app process while
// they are idle. With group set, the pods carry the group annotation with
// that value, which the daemon passes on from pods: they share one server.
func measurePods(t harness.T, registry string, hello workload, moduleCache string, pods int, group string) []podMemory {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	sandboxRef := harness.Ref(registry, "bench/pause:v1")
	// The shim starts its own pause process: the sandbox image is never run.
	if _, err := harness.PushLinuxImage(ctx, registry, "bench/pause:v1",
		[]harness.TarFile{{Name: "pause", Mode: 0o755, Data: []byte("#!/bin/sh\nexit 1\n")}}, []string{"/pause"}); err != nil {
		t.Fatalf("push the sandbox image: %v", err)
	}
	daemon := harness.StartContainerdWith(t, harness.ContainerdLatest, harness.ContainerdOptions{
		CRI: &harness.CRIOptions{SandboxImage: sandboxRef}, ModuleCacheDir: moduleCache,
	})
	defer daemon.Stop()
	d := daemon.InNamespace(harness.CRINamespace)
	d.Pull(sandboxRef)
	d.Pull(hello.ref)
	cri := d.Crictl()
	waitImages(t, cri, 2)
	dir := harness.TempDir(t, "bench-cri")
	var annotations map[string]string
	if group != "" {
		annotations = map[string]string{harness.GroupAnnotation: group}
	}

	var running []podIDs
	defer func() {
		for _, p := range running {
			cri.Quiet("stopp", p.pod)
			cri.Quiet("rmp", "-f", p.pod)
		}
	}()
	for i := range pods {
		name := fmt.Sprintf("bench-%d", i)
		logDir := filepath.Join(dir, "logs", name)
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			t.Fatalf("%v", err)
		}
		cfg := harness.PodConfig{Name: name, UID: "uid-" + name, LogDir: logDir, HostNetwork: true, Annotations: annotations}
		config := cfg.WriteFile(t, dir)
		running = append(running, podIDs{pod: strings.TrimSpace(cri.Must("runp", "--runtime", harness.RuntimeHandler, config))})
		p := &running[len(running)-1]
		addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
		ccfg := harness.ContainerConfig{Name: "hello", Image: hello.ref, LogPath: "hello.log",
			Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr}}
		p.container = strings.TrimSpace(cri.Must("create", p.pod, ccfg.WriteFile(t, logDir), config))
		cri.Must("start", p.container)
		if _, err := harness.WaitHTTP(ctx, "http://"+addr+"/", time.Minute); err != nil {
			t.Fatalf("pod %s: %v", name, err)
		}
	}
	time.Sleep(idleSettle)
	return readPods(t, cri, d.Address, running, group != "")
}

// podIDs are a pod's and its one container's ids.
type podIDs struct{ pod, container string }

// readPods reads the memory of each of pods (of the daemon at address):
// its share of its shim server, its pause process, its app process. With
// shared, the pods must all be under one server.
func readPods(t harness.T, cri *harness.Crictl, address string, pods []podIDs, shared bool) []podMemory {
	groups, err := shimGroups(address)
	if err != nil {
		t.Fatalf("%v", err)
	}
	// The server of each process under one, and how many pods each serves.
	serverOf := map[int]int{}
	for _, g := range groups {
		for _, pid := range g.children {
			serverOf[pid] = g.shim
		}
	}
	type podPids struct{ shim, pause, app int }
	pids := make([]podPids, len(pods))
	podsOf := map[int]int64{}
	for i, p := range pods {
		ps, err := cri.InspectPod(p.pod)
		if err != nil {
			t.Fatalf("%v", err)
		}
		cs, err := cri.Inspect(p.container)
		if err != nil {
			t.Fatalf("%v", err)
		}
		pids[i] = podPids{shim: serverOf[ps.Info.Pid], pause: ps.Info.Pid, app: cs.Info.Pid}
		if pids[i].shim == 0 || serverOf[cs.Info.Pid] != pids[i].shim {
			t.Fatalf("pod %s: pause process %d and app process %d are not under one shim server", p.pod, ps.Info.Pid, cs.Info.Pid)
		}
		podsOf[pids[i].shim]++
	}
	if shared && len(podsOf) != 1 {
		t.Fatalf("pods sharing a shim server: %d servers, want one", len(podsOf))
	}
	var out []podMemory
	for i, p := range pods {
		var m podMemory
		shim, err := report.ReadMemory(pids[i].shim)
		if err != nil {
			t.Fatalf("%v", err)
		}
		m.shim = shim.Div(podsOf[pids[i].shim])
		if m.pause, err = report.ReadMemory(pids[i].pause); err != nil {
			t.Fatalf("%v", err)
		}
		if m.app, err = report.ReadMemory(pids[i].app); err != nil {
			t.Fatalf("%v", err)
		}
		t.Logf("   pod %s: PSS %s (shim %s, pause %s, app %s)", p.pod[:12], report.FormatMB(float64(m.total().PSS)),
			report.FormatMB(float64(m.shim.PSS)), report.FormatMB(float64(m.pause.PSS)), report.FormatMB(float64(m.app.PSS)))
		out = append(out, m)
	}
	return out
}

// waitImages waits until CRI lists n images (it learns about images pulled
// outside it from containerd's events).
func waitImages(t harness.T, cri *harness.Crictl, n int) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := cri.Quiet("images", "-q")
		if strings.Count(out, "sha256:") >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRI does not list the pulled images: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
