package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// machine describes the host and the versions in play.
func machine(containerdVersion string) [][2]string {
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	add("CPU", firstMatch("/proc/cpuinfo", regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`)))
	add("Cores", strconv.Itoa(runtime.NumCPU()))
	if kb, err := strconv.ParseFloat(firstMatch("/proc/meminfo", regexp.MustCompile(`(?m)^MemTotal:\s*(\d+)`)), 64); err == nil {
		add("Memory", fmt.Sprintf("%.1f GiB", kb/1024/1024))
	}
	add("Kernel", strings.TrimSpace(cmdOut("uname", "-sr")))
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			add("Load average at the end (1, 5, 15 min)", strings.Join(f[:3], ", ")+" (other work on the machine skews the figures)")
		}
	}
	add("OS", firstMatch("/etc/os-release", regexp.MustCompile(`(?m)^PRETTY_NAME="?([^"\n]+)`)))
	add("Go", runtime.Version())
	add("containerd", containerdVersion)
	add("runc", firstLine(cmdOut("runc", "--version")))
	add("wrk", firstLine(cmdOut("wrk", "-v")))
	add("wasmtime-go", firstMatch(filepath.Join(harness.RepoRoot(), "go.mod"), regexp.MustCompile(`wasmtime-go/v\d+ (v\S+)`)))
	if rev := strings.TrimSpace(cmdOut("git", "-C", harness.RepoRoot(), "rev-parse", "--short", "HEAD")); rev != "" {
		// docs/ holds this benchmark's own output.
		if strings.TrimSpace(cmdOut("git", "-C", harness.RepoRoot(), "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs")) != "" {
			rev += " (with uncommitted changes)"
		}
		add("spinoci commit", rev)
	}
	return rows
}

func firstMatch(path string, re *regexp.Regexp) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return find(re, string(b))
}

func cmdOut(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return string(out)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
