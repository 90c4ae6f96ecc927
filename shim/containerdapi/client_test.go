package containerdapi

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	containersapi "github.com/containerd/containerd/api/services/containers/v1"
	contentapi "github.com/containerd/containerd/api/services/content/v1"
	imagesapi "github.com/containerd/containerd/api/services/images/v1"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/containerd/v2/plugins/services/content/contentserver"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
)

// containerd is the part of containerd's gRPC API the client calls, served
// by grpc-go on a unix socket: containerd's own content service over a
// local store, and containers and images from maps. It counts the calls by
// method and records the namespace of each.
type containerd struct {
	store      content.Store
	containers map[string]string // id → image name
	images     map[string]*types.Descriptor

	mu         sync.Mutex
	calls      map[string]int
	namespaces []string
}

func serveContainerd(t *testing.T) (*containerd, *Client) {
	t.Helper()
	store, err := local.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := &containerd{store: store, containers: map[string]string{}, images: map[string]*types.Descriptor{}, calls: map[string]int{}}
	record := func(ctx context.Context, method string) {
		ns, _ := namespaces.Namespace(ctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.calls[method[strings.LastIndex(method, ".")+1:]]++
		c.namespaces = append(c.namespaces, ns)
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			record(ctx, info.FullMethod)
			resp, err := h(ctx, req)
			return resp, errgrpc.ToGRPC(err)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			record(ss.Context(), info.FullMethod)
			return h(srv, ss)
		}))
	contentapi.RegisterContentServer(srv, contentserver.New(store))
	containersapi.RegisterContainersServer(srv, containersServer{c: c})
	imagesapi.RegisterImagesServer(srv, imagesServer{c: c})
	sock := filepath.Join(t.TempDir(), "containerd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	client := New("unix://" + sock)
	t.Cleanup(client.Close)
	return c, client
}

type containersServer struct {
	containersapi.UnimplementedContainersServer
	c *containerd
}

func (s containersServer) Get(_ context.Context, r *containersapi.GetContainerRequest) (*containersapi.GetContainerResponse, error) {
	image, ok := s.c.containers[r.ID]
	if !ok {
		return nil, fmt.Errorf("container %q: %w", r.ID, errdefs.ErrNotFound)
	}
	return &containersapi.GetContainerResponse{Container: &containersapi.Container{ID: r.ID, Image: image, Labels: map[string]string{"a": "b"}, Snapshotter: "overlayfs"}}, nil
}

type imagesServer struct {
	imagesapi.UnimplementedImagesServer
	c *containerd
}

func (s imagesServer) Get(_ context.Context, r *imagesapi.GetImageRequest) (*imagesapi.GetImageResponse, error) {
	target, ok := s.c.images[r.Name]
	if !ok {
		return nil, fmt.Errorf("image %q: %w", r.Name, errdefs.ErrNotFound)
	}
	return &imagesapi.GetImageResponse{Image: &imagesapi.Image{Name: r.Name, Labels: map[string]string{"x": "y"}, Target: target}}, nil
}

func (c *containerd) calledWith() (map[string]int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := c.calls
	c.calls = map[string]int{}
	return calls, append([]string(nil), c.namespaces...)
}

func TestContainerImageAndTarget(t *testing.T) {
	c, client := serveContainerd(t)
	ctx := namespaces.WithNamespace(context.Background(), "spin")
	want := ocispec.Descriptor{
		MediaType:   ocispec.MediaTypeImageManifest,
		Digest:      digest.FromString("manifest"),
		Size:        1234567,
		Annotations: map[string]string{"org.opencontainers.image.ref.name": "v1", "k": ""},
	}
	c.containers["c1"] = "registry.example/app:v1"
	c.images["registry.example/app:v1"] = &types.Descriptor{MediaType: want.MediaType, Digest: want.Digest.String(), Size: want.Size, Annotations: want.Annotations}

	name, err := client.ContainerImage(ctx, "c1")
	if err != nil || name != "registry.example/app:v1" {
		t.Fatalf("ContainerImage = %q, %v", name, err)
	}
	got, err := client.ImageTarget(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if got.MediaType != want.MediaType || got.Digest != want.Digest || got.Size != want.Size || len(got.Annotations) != 2 || got.Annotations["org.opencontainers.image.ref.name"] != "v1" {
		t.Errorf("ImageTarget = %+v, want %+v", got, want)
	}
	calls, nss := c.calledWith()
	if calls["Containers/Get"] != 1 || calls["Images/Get"] != 1 || len(nss) != 2 || nss[0] != "spin" || nss[1] != "spin" {
		t.Errorf("containerd saw calls %v in namespaces %v, want one of each in spin", calls, nss)
	}

	_, err = client.ContainerImage(ctx, "nope")
	if !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown container: %v, want errdefs.ErrNotFound naming it", err)
	}
	if _, err := client.ImageTarget(ctx, "gone:1"); !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), "gone:1") {
		t.Errorf("unknown image: %v, want errdefs.ErrNotFound naming it", err)
	}
	c.images["bad:1"] = &types.Descriptor{Digest: "sha256:short"}
	if _, err := client.ImageTarget(ctx, "bad:1"); err == nil || !strings.Contains(err.Error(), "invalid target digest") {
		t.Errorf("bad digest: %v", err)
	}
	if _, err := client.ContainerImage(context.Background(), "c1"); err == nil {
		t.Error("a call without a namespace went out")
	}
}

// A blob, small or of many messages, comes in one Read call; a missing one
// fails ReadContent with errdefs.ErrNotFound.
func TestReadContent(t *testing.T) {
	c, client := serveContainerd(t)
	ctx := namespaces.WithNamespace(context.Background(), "default")
	for _, data := range [][]byte{[]byte(`{"schemaVersion":2}`), bytes.Repeat([]byte("spin "), 1<<20), {}} {
		desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
		if err := content.WriteBlob(ctx, c.store, desc.Digest.String(), bytes.NewReader(data), desc); err != nil {
			t.Fatal(err)
		}
		c.calledWith()
		rc, err := client.ReadContent(ctx, desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("read %d bytes (%v), want the %d-byte blob", len(got), err, len(data))
		}
		if err := rc.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
		if calls, _ := c.calledWith(); len(calls) != 1 || calls["Content/Read"] != 1 {
			t.Errorf("%d-byte blob: calls %v, want one Read", len(data), calls)
		}
	}
	missing := digest.FromString("missing")
	if _, err := client.ReadContent(ctx, missing); !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), missing.String()) {
		t.Errorf("missing blob: %v, want errdefs.ErrNotFound naming it", err)
	}
}

// A call that fails after it has sent messages has its status in the
// trailers: the reader returns the data, then the error, of its kind.
func TestStreamEndsWithTrailerStatus(t *testing.T) {
	frame := []byte{0, 0, 0, 0, 4}
	frame = append(frame, stringField(readContentResponseData, "ab")...)
	resp := &http.Response{
		Header:  http.Header{},
		Body:    io.NopCloser(bytes.NewReader(frame)),
		Trailer: http.Header{"Grpc-Status": {"5"}, "Grpc-Message": {"blob%20gone"}},
	}
	r := &contentReader{stream: &stream{resp: resp}, cancel: func() {}, digest: digest.FromString("x")}
	got, err := io.ReadAll(r)
	if string(got) != "ab" || !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), "blob gone") {
		t.Errorf("read %q, %v; want \"ab\" then a not-found error saying \"blob gone\"", got, err)
	}
}

// A blob's messages are read into one buffer: reading 16 messages of 256 KiB
// allocates about one of them, not the blob's size.
func TestReadContentReusesItsBuffer(t *testing.T) {
	const messages, size = 16, 256 << 10
	var body []byte
	for i := range messages {
		msg := protowire.AppendTag(nil, readContentResponseData, protowire.BytesType)
		msg = protowire.AppendBytes(msg, bytes.Repeat([]byte{byte(i)}, size))
		body = binary.BigEndian.AppendUint32(append(body, 0), uint32(len(msg)))
		body = append(body, msg...)
	}
	resp := &http.Response{Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), Trailer: http.Header{"Grpc-Status": {"0"}}}
	r := &contentReader{stream: &stream{resp: resp}, cancel: func() {}, digest: digest.FromString("x")}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := io.Copy(io.Discard, r)
	runtime.ReadMemStats(&after)
	if err != nil || n != messages*size {
		t.Fatalf("read %d bytes (%v), want %d", n, err, messages*size)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 2*size {
		t.Errorf("reading %d messages of %d bytes allocated %d bytes", messages, size, allocated)
	}
}
