// Package seccompbpf keeps a container's compiled seccomp filter in its
// bundle: the start action compiles the spec's profile (package compiler)
// and writes the program there (WriteProgram), for every container; the
// shim server reads it (ReadFilter) and hands it to the container's
// processes. So the server, one per container or pod, does not link the
// compiler, whose syscall tables of every architecture (~165 KB, built
// when a program starts) would stay in its memory for its life. The
// bundle lives as long as the task, and only root writes it.
package seccompbpf
