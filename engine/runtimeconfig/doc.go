// Package runtimeconfig reads a Spin runtime configuration file (TOML, the
// file Spin takes with --runtime-config-file and the Spin containerd shim
// reads at /runtime-config.toml in the container).
//
// The file is split into its top-level sections and each section is handed
// to the Section of the capability that owns it (key-value stores, SQLite
// databases, variables providers, LLM compute), which decodes it strictly.
// A section no capability owns is an error naming it: a runtime config this
// runtime would silently half-apply is worse than one it refuses.
package runtimeconfig
