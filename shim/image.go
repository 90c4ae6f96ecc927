package shim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	containersapi "github.com/containerd/containerd/api/services/containers/v1"
	contentapi "github.com/containerd/containerd/api/services/content/v1"
	imagesapi "github.com/containerd/containerd/api/services/images/v1"
	"github.com/containerd/containerd/v2/pkg/dialer"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
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

// connect dials containerd. Each Create has a connection of its own,
// closed when the app is materialised: an idle shim keeps no gRPC
// connection (its goroutines and buffers cost more memory than a dial on a
// unix socket costs time).
func (s *containerdStore) connect() (*grpc.ClientConn, error) {
	if s.address == "" {
		return nil, errors.New("containerd address is unknown (no -address flag)")
	}
	conn, err := grpc.NewClient(dialer.DialAddress(s.address),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(dialer.ContextDialer),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to containerd at %s: %w", s.address, err)
	}
	return conn, nil
}

// imageOf returns the image the container was created from. ctx must carry
// the namespace.
func imageOf(ctx context.Context, conn *grpc.ClientConn, containerID string) (string, ocispec.Descriptor, error) {
	c, err := containersapi.NewContainersClient(conn).Get(ctx, &containersapi.GetContainerRequest{ID: containerID})
	if err != nil {
		return "", ocispec.Descriptor{}, fmt.Errorf("looking up container %q: %w", containerID, errgrpc.ToNative(err))
	}
	name := c.GetContainer().GetImage()
	if name == "" {
		return "", ocispec.Descriptor{}, fmt.Errorf("container %q has no image: %w", containerID, errdefs.ErrInvalidArgument)
	}
	img, err := imagesapi.NewImagesClient(conn).Get(ctx, &imagesapi.GetImageRequest{Name: name})
	if err != nil {
		return "", ocispec.Descriptor{}, fmt.Errorf("looking up image %q: %w", name, errgrpc.ToNative(err))
	}
	t := img.GetImage().GetTarget()
	target := ocispec.Descriptor{MediaType: t.GetMediaType(), Size: t.GetSize(), Annotations: t.GetAnnotations()}
	if target.Digest, err = digest.Parse(t.GetDigest()); err != nil {
		return "", ocispec.Descriptor{}, fmt.Errorf("image %q has an invalid target digest %q: %w", name, t.GetDigest(), err)
	}
	return name, target, nil
}

// materialize builds the container's app directory from its image, its files
// linked to the node's file store in storeDir, and describes it. Nothing is
// left at dir on failure.
func (s *containerdStore) materialize(ctx context.Context, containerID, dir, storeDir string) (*appdir.App, error) {
	conn, err := s.connect()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	name, target, err := imageOf(ctx, conn, containerID)
	if err != nil {
		return nil, err
	}
	art, err := artifact.Load(ctx, contentBlobs{contentapi.NewContentClient(conn)}, target)
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
	art.Content.Store = appdir.NewStore(storeDir)
	app, err := appdir.Materialize(ctx, art.App, art.Content, dir)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", name, err)
	}
	return app, nil
}
