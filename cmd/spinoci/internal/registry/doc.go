// Package registry is the spinoci CLI's access to OCI registries and to its
// local content cache, built on oras-go: fully qualified references,
// authenticated repositories (credentials from the Docker config file and
// its credential helpers, as docker, oras and Spin use them), login and
// logout, TLS options (--insecure, --ca-file), registry failures explained
// with the fix to try, the content-addressed pull cache, an
// artifact.BlobReader over any oras fetcher (so artifact.Load can stream
// from a registry or the cache), and transfer reporting (progress bars,
// per-blob lines, totals).
package registry
