package shim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/shim/containerdapi"
)

// containerdStore reads container records, images and blobs from the
// containerd that started this shim. The shim never talks to a registry:
// containerd has pulled everything into its content store.
type containerdStore struct {
	address string
}

func newContainerdStore(address string) *containerdStore {
	return &containerdStore{address: address}
}

// connect returns a client of containerd. Each Create has a connection
// of its own, closed when the app is materialised: an idle shim keeps no
// connection (its goroutines and buffers cost more memory than a dial on a
// unix socket costs time).
func (s *containerdStore) connect() (*containerdapi.Client, error) {
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

// materialize builds the container's app directory from its image, its files
// linked to the node's file store (whose entries link containerd's blob
// files where they can), and describes it. Nothing is left at dir on
// failure.
func (s *containerdStore) materialize(ctx context.Context, containerID, dir string, files appFileSources) (*appdir.App, error) {
	client, err := s.connect()
	if err != nil {
		return nil, err
	}
	defer client.Close()
	name, target, err := imageOf(ctx, client, containerID)
	if err != nil {
		return nil, err
	}
	art, err := artifact.Load(ctx, contentBlobs{client}, target)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", name, err)
	}
	// A directory left by a crashed shim for the same container id is stale.
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("removing stale app directory: %w", err)
	}
	removeUnfinishedAppDirs(ctx, dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, fmt.Errorf("creating app directory parent: %w", err)
	}
	art.Content.Store = appdir.NewStore(files.storeDir)
	art.Content.LinkFrom = files.contentBlobsDir
	app, err := appdir.Materialize(ctx, art.App, art.Content, dir)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", name, err)
	}
	return app, nil
}
