// Package e2e holds the end-to-end tests of spinoci: real containerd daemons
// (2.4.2 and 2.2.9, built by `make tools`), a real OCI registry, the shim
// binary and the test apps, driven through ctr exactly as an operator would.
// They need root and skip otherwise. Run them with `make test` (or
// `make e2e-test`); the helpers live in test/e2e/harness.
package e2e
