// Package manifest reads Spin application manifests (spin.toml, manifest
// versions "1" and 2) and turns them into local lockfiles: the
// lock.LockedApp Spin itself would write, with component sources and files
// as file:// URIs, ready for artifact.Pack or the engine.
//
// Errors name the manifest file, the line and the key they are about.
// Nothing is downloaded: `{ url, digest }` sources are refused unless the
// content is already on this machine (see BlobFinder).
package manifest
