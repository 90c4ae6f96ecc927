package shim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/containerd/v2/plugins/services/content/contentserver"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/spinoci/spinoci/artifact"
)

// contentService serves containerd's own content service over a local
// store in dir, in memory, counting the calls it answers by method.
func contentService(t *testing.T, dir string) (content.Store, contentapi.ContentClient, map[string]int) {
	store, err := local.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := map[string]int{}
	count := func(method string) {
		mu.Lock()
		calls[method[strings.LastIndex(method, "/")+1:]]++
		mu.Unlock()
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			count(info.FullMethod)
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			count(info.FullMethod)
			return h(srv, ss)
		}))
	contentapi.RegisterContentServer(srv, contentserver.New(store))
	l := bufconn.Listen(1 << 20)
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///content", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.DialContext(ctx) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return store, contentapi.NewContentClient(conn), calls
}

// A blob, small or of many messages, comes in one Read call; a missing one
// fails Open with errdefs.ErrNotFound.
func TestContentBlobs(t *testing.T) {
	ctx := context.Background()
	store, client, calls := contentService(t, t.TempDir())
	var r artifact.BlobReader = contentBlobs{client}
	for _, data := range [][]byte{[]byte(`{"schemaVersion":2}`), bytes.Repeat([]byte("spin "), 1<<20)} {
		desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
		if err := content.WriteBlob(ctx, store, desc.Digest.String(), bytes.NewReader(data), desc); err != nil {
			t.Fatal(err)
		}
		for k := range calls {
			delete(calls, k)
		}
		rc, err := r.Open(ctx, desc)
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
		if len(calls) != 1 || calls["Read"] != 1 {
			t.Errorf("%d-byte blob: calls %v, want one Read", len(data), calls)
		}
	}

	if _, err := r.Open(ctx, ocispec.Descriptor{Digest: digest.FromString("missing"), Size: 7}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("missing blob: %v, want errdefs.ErrNotFound", err)
	}
}
