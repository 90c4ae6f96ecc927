package appdirs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/shim/containerdapi"
)

// ContainerdStore reads container records, images and blobs from the
// containerd at an address. The shim never talks to a registry: containerd
// has pulled everything into its content store.
type ContainerdStore struct {
	address string
}

// NewContainerdStore reads from the containerd whose gRPC socket is address.
func NewContainerdStore(address string) *ContainerdStore {
	return &ContainerdStore{address: address}
}

// connect returns a client of containerd. Each read has a connection of its
// own, closed when the app is materialised: an idle shim keeps no
// connection (its goroutines and buffers cost more memory than a dial on a
// unix socket costs time).
func (s *ContainerdStore) connect() (*containerdapi.Client, error) {
	if s.address == "" {
		return nil, errors.New("containerd address is unknown (no -address flag)")
	}
	return containerdapi.New(s.address), nil
}

// imageOf returns the image the container was created from. ctx must carry
// the namespace.
func imageOf(ctx context.Context, client *containerdapi.Client, containerID string) (string, ocispec.Descriptor, error) {
	name, err := client.ContainerImage(ctx, containerID)
	if err != nil {
		return "", ocispec.Descriptor{}, err
	}
	if name == "" {
		return "", ocispec.Descriptor{}, fmt.Errorf("container %q has no image: %w", containerID, errdefs.ErrInvalidArgument)
	}
	target, err := client.ImageTarget(ctx, name)
	if err != nil {
		return "", ocispec.Descriptor{}, err
	}
	return name, target, nil
}

// MaterializeApp builds the container's app directory at dir from its
// image, its files linked to the node's file store (whose entries link
// containerd's blob files where they can). ctx must carry the namespace.
// Nothing is left at dir on failure; an image that is not a Spin app fails
// with an error wrapping artifact.ErrNotSpinApp.
func (s *ContainerdStore) MaterializeApp(ctx context.Context, containerID, dir string, files FileSources) error {
	client, err := s.connect()
	if err != nil {
		return err
	}
	defer client.Close()
	name, target, err := imageOf(ctx, client, containerID)
	if err != nil {
		return err
	}
	art, err := artifact.Load(ctx, contentBlobs{client}, target)
	if err != nil {
		return fmt.Errorf("image %s: %w", name, err)
	}
	// A directory left by a crashed shim for the same container id is stale.
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing stale app directory: %w", err)
	}
	RemoveUnfinished(ctx, dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("creating app directory parent: %w", err)
	}
	art.Content.Store = appdir.NewStore(files.StoreDir)
	art.Content.LinkFrom = files.ContentBlobsDir
	if _, err := appdir.Materialize(ctx, art.App, art.Content, dir); err != nil {
		return fmt.Errorf("image %s: %w", name, err)
	}
	return nil
}

// RemoveUnfinished removes the temporary directories a shim killed while
// materialising dir left beside it (appdir.Materialize builds in
// <dir>.tmp-*): their links would keep files in the store for ever. No other
// Create of the same container id can be running.
func RemoveUnfinished(ctx context.Context, dir string) {
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		return // no parent yet: nothing left over
	}
	prefix := filepath.Base(dir) + ".tmp-"
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		p := filepath.Join(filepath.Dir(dir), e.Name())
		if err := os.RemoveAll(p); err != nil {
			log.G(ctx).WithError(err).WithField("dir", p).Warn("removing an unfinished app directory")
		}
	}
}

// contentReader is the call of containerd's content service that
// contentBlobs makes (containerdapi.Client's).
type contentReader interface {
	ReadContent(ctx context.Context, dgst digest.Digest) (io.ReadCloser, error)
}

// contentBlobs streams blobs from containerd's content service for
// artifact.Load and the app directory: one Read call per blob, whatever its
// size (content.Provider's ReaderAt first asks for the blob's info, then
// makes one call per read buffer: several per lock, one per 32 KB of a wasm
// or data layer). A missing blob fails Open with an error wrapping
// errdefs.ErrNotFound, as artifact.BlobReader requires. The reader does not
// verify what it reads; its callers check sizes and digests.
type contentBlobs struct {
	client contentReader
}

// Open implements artifact.BlobReader.
func (b contentBlobs) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	return b.client.ReadContent(ctx, desc.Digest)
}
