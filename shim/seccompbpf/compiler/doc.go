// Package compiler compiles an OCI seccomp profile to the BPF program the
// kernel runs, with github.com/elastic/go-seccomp-bpf (pure Go, so the
// shim stays statically linkable without libseccomp). Only the start
// action links it (package seccompbpf says why).
package compiler
