// Package buildinfo holds what a build of spinoci's binaries stamps into
// them: the release version and the commit (set by the Makefile with
// -ldflags -X), and the text of --version.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time: -ldflags "-X github.com/spinoci/spinoci/cmd/internal/buildinfo.version=…".
// They are variables only because -X can set nothing else; nothing assigns
// them at run time.
var (
	version = "0.1.0-dev"
	commit  = ""
)

// Version is the release version, e.g. "0.2.0" or "0.1.0-dev".
func Version() string { return version }

// Commit is the git commit the binary was built from: the one the Makefile
// stamped, else the one go build recorded, else "unknown".
func Commit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// UserAgent is how the binary names itself to registries: "spinoci/0.1.0".
func UserAgent(program string) string {
	return program + "/" + version
}

// Text is the --version output of program: one "key: value" line each for
// the version, the commit, the wasmtime version it links, the Go version and
// platform, then the extra lines (e.g. the task API versions a shim serves).
func Text(program, wasmtime string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", program, version)
	fmt.Fprintf(&b, "commit: %s\n", Commit())
	fmt.Fprintf(&b, "wasmtime: %s\n", wasmtime)
	fmt.Fprintf(&b, "go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, line := range extra {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
