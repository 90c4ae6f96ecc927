package e2e

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// TestSharedShimServer runs containers with the group annotation: they share
// one shim server, each keeps its own app process and exit status, the
// server outlives the container that started it, its log reaching
// containerd's after that container is gone and after a containerd
// restart, later containers join it, and it exits with the group's last
// container; a shim installed anew serves the group's later containers from
// a server of its own. Then containers whose runtime options (a file
// `ctr run --runtime-config-path` names) name a group share its server.
func TestSharedShimServer(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	reg := harness.StartRegistry(t)
	app, err := paths.LocalLock(harness.HelloApp())
	if err != nil {
		t.Fatalf("local lock: %v", err)
	}
	if _, err := harness.Push(t.Context(), reg.Host, "group/hello:v1", app, artifact.PackOptions{}); err != nil {
		t.Fatalf("push: %v", err)
	}
	ref := harness.Ref(reg.Host, "group/hello:v1")
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			daemon := harness.StartContainerd(t, v)
			daemon.For(t).Pull(ref)
			testSharedShimServer(t, daemon, ref)
			testRuntimeConfigGroup(t, daemon, ref)
		})
	}
}

func testSharedShimServer(t *testing.T, daemon *harness.Containerd, ref string) {
	d := daemon.For(t)
	addrs := map[string]string{}
	run := func(id string, annotations ...string) {
		t.Helper()
		var flags []string
		for _, a := range annotations {
			flags = append(flags, "--annotation", a)
		}
		addrs[id], _ = d.RunDetached(t.Context(), ref, id, harness.RunOptions{Flags: flags})
	}
	serves := func(id string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := harness.Get(ctx, "http://"+addrs[id]+"/")
		return err == nil && res.Status == 200
	}
	web := harness.GroupAnnotation + "=web"
	run("web-a", web)
	run("web-b", web)
	run("alone")

	servers := shimServers(d)
	if got := slices.Sorted(maps.Keys(servers)); !slices.Equal(got, []string{"alone", "web-a"}) {
		t.Fatalf("shim servers by -id: %v, want one for the group (started by web-a) and one for alone", got)
	}
	pids := taskPIDs(t, d)
	if pids["web-a"] == pids["web-b"] || pids["web-a"] == 0 || pids["web-b"] == 0 {
		t.Fatalf("ctr task ls pids: %v, want a process of its own for each container", pids)
	}
	for _, id := range []string{"web-a", "web-b"} {
		if parent, _ := harness.ParentPID(pids[id]); parent != servers["web-a"] {
			t.Errorf("%s's process %d has parent %d, want the group's shim server %d", id, pids[id], parent, servers["web-a"])
		}
	}
	// The start action that started the server read web-a's app while the
	// server started; web-b's Create, on the running server, read its own.
	for id, want := range map[string]int{"web-a": 1, "web-b": 0} {
		if n := countLogLines(t, d.Log, "id="+id, "app directory read by the start action"); n != want {
			t.Errorf("containerd's log says the start action read %s's app %d times, want %d:\n%s", id, n, want, grepLines(d.Log, id))
		}
	}

	// Create's debug line says where each app process's start went, its
	// own steps included (what the app reported in its ready line).
	for _, id := range []string{"web-a", "web-b", "alone"} {
		line := grepLines(d.Log, "id="+id)
		created := ""
		for l := range strings.Lines(line) {
			if strings.Contains(l, `msg="task created"`) {
				created = l
			}
		}
		for _, step := range []string{"app_exec=", "app_confine=", "app_runtime=", "app_load=", "app_ready="} {
			if !strings.Contains(created, step) {
				t.Errorf("containerd's log has no %s in %s's \"task created\" line:\n%s", strings.TrimSuffix(step, "="), id, line)
			}
		}
	}

	// The container that started the server goes first: its own exit
	// status, the others keep serving.
	if out, code := d.Ctr("task", "kill", "-s", "SIGKILL", "web-a"); code != 0 {
		t.Fatalf("ctr task kill -s SIGKILL web-a: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus("web-a", "STOPPED", 5*time.Second); err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
	if st := d.TaskStatus("web-b"); st != "RUNNING" || !serves("web-b") {
		t.Fatalf("web-b is %q (serving: %v) after web-a was killed, want RUNNING and serving", st, serves("web-b"))
	}
	if out, _ := d.Ctr("task", "rm", "web-a"); !strings.Contains(out, "exit code 137") {
		t.Errorf("ctr task rm web-a after SIGKILL does not report exit code 137:\n%s", out)
	}
	if out, code := d.Ctr("container", "rm", "web-a"); code != 0 {
		t.Fatalf("ctr container rm web-a: exit %d\n%s", code, out)
	}

	// A later container joins the running server, whose own log now
	// reaches containerd's through a container still there: web-a's log
	// FIFO went with its bundle.
	run("web-c", web)
	if !serves("web-b") {
		t.Errorf("web-b stopped serving when web-c joined")
	}
	if n := countLogLines(t, d.Log, "id=web-c", "app started"); n != 1 {
		t.Errorf("containerd's log has the shared server's \"app started\" line for web-c %d times, want once:\n%s", n, grepLines(d.Log, "web-c"))
	}
	if got := shimServers(d); len(got) != 2 || got["web-a"] != servers["web-a"] {
		t.Errorf("shim servers after web-c joined: %v, want the group's (pid %d) and alone's", got, servers["web-a"])
	}

	// containerd restarts (as on its upgrade): the group's containers stay
	// managed, and the server's log, now on a FIFO of web-b's or web-c's,
	// reaches the new containerd's log.
	daemon.Restart(t)
	run("web-e", web)
	if n := countLogLines(t, d.Log, "id=web-e", "app started"); n != 1 {
		t.Errorf("after the restart, containerd's log has the shared server's \"app started\" line for web-e %d times, want once:\n%s", n, grepLines(d.Log, "web-e"))
	}
	if parent, _ := harness.ParentPID(taskPIDs(t, d)["web-e"]); parent != servers["web-a"] {
		t.Errorf("web-e's process has parent %d after the restart, want the group's server %d", parent, servers["web-a"])
	}
	if st := d.TaskStatus("web-b"); st != "RUNNING" || !serves("web-b") {
		t.Errorf("web-b is %q (serving: %v) after the restart, want RUNNING and serving", st, serves("web-b"))
	}

	// A shim installed anew on the node: the group's next container gets a
	// server of the new binary, the running ones keep theirs.
	reinstall(t, filepath.Join(d.Dir, "bin", harness.ServerBinary))
	run("web-d", web)
	upgraded := shimServers(d)
	if len(upgraded) != 3 || upgraded["web-a"] != servers["web-a"] || upgraded["web-d"] == 0 {
		t.Errorf("shim servers after the reinstall: %v, want web-a's (pid %d), a new one started by web-d, and alone's", upgraded, servers["web-a"])
	}
	if parent, _ := harness.ParentPID(taskPIDs(t, d)["web-d"]); parent != upgraded["web-d"] {
		t.Errorf("web-d's process has parent %d, want the new server %d", parent, upgraded["web-d"])
	}
	if !serves("web-b") || !serves("web-d") {
		t.Errorf("after the reinstall: web-b serving %v, web-d serving %v", serves("web-b"), serves("web-d"))
	}

	for _, id := range []string{"web-b", "web-c", "web-e", "web-d"} {
		if out, code := d.Ctr("task", "kill", id); code != 0 {
			t.Fatalf("ctr task kill %s: exit %d\n%s", id, code, out)
		}
		if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if out, code := d.Ctr("task", "rm", id); code != 0 || strings.Contains(out, "exit code") {
			t.Errorf("ctr task rm %s after SIGTERM: exit %d\n%s", id, code, out)
		}
		if out, code := d.Ctr("container", "rm", id); code != 0 {
			t.Errorf("ctr container rm %s: exit %d\n%s", id, code, out)
		}
	}
	for _, started := range []string{"web-a", "web-d"} {
		if err := waitFor(10*time.Second, func() bool { return !harness.ProcessAlive(upgraded[started]) }); err != nil {
			t.Errorf("the group's shim server started by %s (pid %d) still runs after its last container was deleted", started, upgraded[started])
		}
	}
	if !serves("alone") {
		t.Errorf("alone stopped serving")
	}
	for _, id := range []string{"web-a", "web-b", "web-c", "web-d", "web-e"} {
		assertNoLeftovers(t, d, id)
	}
}

// testRuntimeConfigGroup: containers run with `ctr run --runtime-config-path`
// naming a file of spinoci's runtime options whose Group names a group
// share that group's server; one with a group annotation of its own goes to
// its own group's; a misspelt option fails the start, naming it.
func testRuntimeConfigGroup(t *testing.T, daemon *harness.Containerd, ref string) {
	d := daemon.For(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "spinoci.toml")
	if err := os.WriteFile(config, []byte("Group = \"cfg\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ids := []string{"cfg-a", "cfg-b", "cfg-own"}
	for _, id := range ids {
		flags := []string{"--runtime-config-path", config}
		if id == "cfg-own" {
			flags = append(flags, "--annotation", harness.GroupAnnotation+"=own")
		}
		d.RunDetached(t.Context(), ref, id, harness.RunOptions{Flags: flags})
	}
	servers := shimServers(d)
	if _, ok := servers["cfg-b"]; ok || servers["cfg-a"] == 0 || servers["cfg-own"] == 0 {
		t.Errorf("shim servers by -id: %v, want one started by cfg-a for the options' group, one by cfg-own, none by cfg-b", servers)
	}
	pids := taskPIDs(t, d)
	for id, server := range map[string]int{"cfg-a": servers["cfg-a"], "cfg-b": servers["cfg-a"], "cfg-own": servers["cfg-own"]} {
		if parent, _ := harness.ParentPID(pids[id]); parent != server {
			t.Errorf("%s's process %d has parent %d, want shim server %d", id, pids[id], parent, server)
		}
	}
	for _, id := range ids {
		if out, code := d.Ctr("task", "kill", "-s", "SIGKILL", id); code != 0 {
			t.Fatalf("ctr task kill %s: exit %d\n%s", id, code, out)
		}
		if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		d.Ctr("task", "rm", id)
		d.Ctr("container", "rm", id)
	}
	for _, id := range ids {
		assertNoLeftovers(t, d, id)
	}

	if err := os.WriteFile(config, []byte("Grup = \"cfg\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := d.Ctr("run", "-d", "--net-host", "--runtime", harness.RuntimeType, "--runtime-config-path", config, ref, "cfg-bad")
	if code == 0 || !strings.Contains(out, "unknown option Grup") {
		t.Errorf("ctr run with a misspelt runtime option: exit %d, want a failure naming it:\n%s", code, out)
	}
	d.Ctr("container", "rm", "cfg-bad")
	assertNoLeftovers(t, d, "cfg-bad")
}

// shimServers maps the -id of each shim server of d to its pid.
func shimServers(d *harness.Containerd) map[string]int {
	servers := map[string]int{}
	for _, p := range d.Procs() {
		if len(p.Cmdline) == 0 || filepath.Base(p.Cmdline[0]) != harness.ServerBinary {
			continue
		}
		if i := slices.Index(p.Cmdline, "-id"); i > 0 && i+1 < len(p.Cmdline) && !slices.Contains(p.Cmdline, "start") {
			servers[p.Cmdline[i+1]] = p.PID
		}
	}
	return servers
}

// taskPIDs maps each task of d to its process, as `ctr task ls` shows them.
func taskPIDs(t *testing.T, d *harness.Containerd) map[string]int {
	tasks, err := d.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	for _, task := range tasks {
		pids[task.ID] = task.PID
	}
	return pids
}

// reinstall installs the file at path anew, as an install does: a copy
// renamed over it.
func reinstall(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}
