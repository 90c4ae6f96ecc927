package registry

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content/memory"
)

func TestReporter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	big := bytes.Repeat([]byte("x"), 1536)
	file := filepath.Join(dir, "app.wasm")
	if err := os.WriteFile(file, big, 0o644); err != nil {
		t.Fatal(err)
	}
	small := []byte("config")
	fileDesc := ocispec.Descriptor{MediaType: "application/vnd.wasm.content.layer.v1+wasm", Digest: digest.FromBytes(big), Size: int64(len(big))}
	smallDesc := ocispec.Descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: digest.FromBytes(small), Size: int64(len(small)),
		Annotations: map[string]string{ocispec.AnnotationTitle: "titled"}}

	var bars, lines bytes.Buffer
	rep := &Reporter{Verb: "push", Bars: &bars, Lines: &lines, Expected: 2,
		Name: func(desc ocispec.Descriptor, f string) string {
			if t := desc.Annotations[ocispec.AnnotationTitle]; t != "" {
				return t
			}
			return filepath.Base(f)
		}}
	dst := rep.Wrap(memory.New())
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := dst.Push(ctx, fileDesc, f); err != nil {
		t.Fatal(err)
	}
	if err := dst.Push(ctx, smallDesc, bytes.NewReader(small)); err != nil {
		t.Fatal(err)
	}
	if ok, err := dst.Exists(ctx, fileDesc); !ok || err != nil {
		t.Fatalf("Exists: %v %v", ok, err)
	}
	// Bars name the blob (its file, its title) with its size and the count.
	for _, want := range []string{"push [1/2] app.wasm (1.5 KiB)", "push [2/2] titled (6 B)", "(1.5/1.5 KiB, "} {
		if !strings.Contains(bars.String(), want) {
			t.Errorf("bars lack %q:\n%q", want, bars.String())
		}
	}
	totals := rep.Totals()
	if totals != (Totals{Blobs: 2, Bytes: 1542, Present: 1}) || totals.String("sent") != "2 blobs (1.5 KiB) sent, 1 already there" {
		t.Errorf("totals %+v: %s", totals, totals.String("sent"))
	}
	if got := strings.Split(lines.String(), "\n"); len(got) != 4 || got[0] != "pushed app.wasm (1.5 KiB, sha256:"+fileDesc.Digest.Encoded()[:12]+")" ||
		got[1] != "pushed titled (6 B, sha256:"+smallDesc.Digest.Encoded()[:12]+")" || !strings.HasPrefix(got[2], "already there: ") {
		t.Errorf("lines:\n%s", lines.String())
	}
	if got := (Totals{Blobs: 1, Bytes: 150000000}).String("fetched"); got != "1 blob (143 MiB) fetched" {
		t.Errorf("Totals.String = %q", got)
	}
}
