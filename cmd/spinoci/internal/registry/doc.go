// Package registry is the spinoci CLI's access to OCI registries and to its
// local content cache, built on oras-go: references, authenticated
// repositories (credentials from the Docker config file and its credential
// helpers, as oras and Spin use them), the content-addressed pull cache, an
// artifact.BlobReader over any oras fetcher (so artifact.Load can stream
// from a registry or the cache), and progress bars.
package registry
