// Package appprocess is a container's app process: the app binary
// (containerd-shim-spinoci-v1-app) run with appproto.AppModeArg, in the container's namespaces and
// cgroup, with the container's environment and stdio. It reads the app the
// shim materialised, loads it into package engine (wasmtime) and runs every
// trigger it has (HTTP, Redis, MQTT, command; an app without HTTP triggers
// listens nowhere), speaking the shim's side of package appproto over its
// pipes. It exits on SIGTERM or SIGINT (status 0) or, when the app's only
// triggers are commands, once they are done, with their exit status.
// With --compile-only it is one of the shim's compile stages instead: it
// compiles the app's code into the cache (engine.Precompile, at the tier
// --compile-tier names) without loading the app, and exits.
//
// It lives beside the binary's main, not in package shim, so that the shim's
// task service does not link wasmtime. It reads SPIN_HTTP_LISTEN_ADDR
// (where the HTTP trigger listens, default 0.0.0.0:80) from the container's
// environment, and the HTTP front's limits with package frontenv.
package appprocess
