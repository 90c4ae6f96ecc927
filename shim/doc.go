// Package shim is the containerd shim v2 server of spinoci, run from
// containerd-shim-spinoci-v1-server, which the shim binary's start action
// (package startaction) starts: it serves the task API v3 over ttrpc (and
// v2, relayed to it, for containerd 1.7: the start reply names v2 to
// daemons older than 2.3) and runs the delete action. Create takes the app
// the start action read for the container whose start started the server
// (package appdirs) and reads the others' itself. It keeps each task's
// lifecycle, publishes task events in order, wires the container's stdio,
// fetches the Spin application from containerd's content store, and runs
// each container's app in a child
// process of its own. Create and start failures are logged once (the shim's
// log reaches containerd's) and returned as one-line errors.
//
// Under CRI one server holds a whole pod. The pod's sandbox task is a pause
// process that holds the pod's namespaces: C, run by package nsenter's
// constructor in the app binary before any Go runtime starts, so that it
// holds little memory. App processes join the namespaces their spec names
// (package nsenter does it before the child's Go runtime starts) and
// run in the cgroup the spec names, with its memory, CPU and pids limits,
// its metrics for Stats and /tasks/oom events when the kernel's OOM killer
// strikes.
//
// Each child is confined as its spec asks (sandboxing.go, package sandbox):
// user, capabilities, no_new_privs, seccomp, rlimits and a private root
// holding only its app's files; an app's compiled code is written by a
// compile stage without capabilities, never by the process that runs it.
//
// The task service reaches the outside world through three small
// interfaces: an imageSource materialises a container's app (containerd's
// content store), a launcher starts a task's child process in its
// namespaces and cgroup (the app binary next to the shim), and a process is
// that child (start, signals, exit status, its cgroup's OOM kills and
// metrics). Tests drive the task API in-process through fakes of them.
//
// The delete action leaves nothing of a task: it kills an orphaned app,
// removes the app directory, the cgroup and, when the server is gone (killed
// with SIGKILL), its socket. After each app starts, the node's compiled-code
// cache is brought under its size bound (package compilecache). App
// directories are made of links into the node's file store (appdir.Store,
// <state root>/store); after each create and app directory removal, files
// no app has linked to for SPINOCI_FILE_STORE_GRACE are removed from it.
//
// It knows nothing of wasmtime: the app process is the app binary's package
// (cmd/containerd-shim-spinoci-v1/internal/appprocess), which hands the
// materialised app to package engine; the two sides share only package
// appproto, the command line and pipe protocol between them.
package shim
