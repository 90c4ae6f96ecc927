package containerdapi

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/protobuf/encoding/protowire"
)

// The calls' methods and their messages' field numbers, from containerd's
// API protos (containerd.services.*.v1 and containerd.types.Descriptor).
const (
	getContainer = "/containerd.services.containers.v1.Containers/Get"
	getImage     = "/containerd.services.images.v1.Images/Get"
	readContent  = "/containerd.services.content.v1.Content/Read"

	getContainerRequestID         = 1
	getContainerResponseContainer = 1
	containerImage                = 3
	getImageRequestName           = 1
	getImageResponseImage         = 1
	imageTarget                   = 3
	descriptorMediaType           = 1
	descriptorDigest              = 2
	descriptorSize                = 3
	descriptorAnnotations         = 5
	mapEntryKey                   = 1
	mapEntryValue                 = 2
	readContentRequestDigest      = 1
	readContentResponseData       = 2
)

// ContainerImage returns the name of the image container id was created
// from ("" if none).
func (c *Client) ContainerImage(ctx context.Context, id string) (string, error) {
	reply, err := c.unary(ctx, getContainer, stringField(getContainerRequestID, id))
	if err != nil {
		return "", fmt.Errorf("looking up container %q: %w", id, err)
	}
	var image string
	err = walk(reply, func(f field) error {
		if f.num != getContainerResponseContainer {
			return nil
		}
		return walk(f.bytes, func(f field) error {
			if f.num == containerImage {
				image = string(f.bytes)
			}
			return nil
		})
	})
	if err != nil {
		return "", fmt.Errorf("decoding container %q: %w", id, err)
	}
	return image, nil
}

// ImageTarget returns the target of image name: its manifest or index.
func (c *Client) ImageTarget(ctx context.Context, name string) (ocispec.Descriptor, error) {
	var target ocispec.Descriptor
	reply, err := c.unary(ctx, getImage, stringField(getImageRequestName, name))
	if err != nil {
		return target, fmt.Errorf("looking up image %q: %w", name, err)
	}
	var digestText string
	err = walk(reply, func(f field) error {
		if f.num != getImageResponseImage {
			return nil
		}
		return walk(f.bytes, func(f field) error {
			if f.num != imageTarget {
				return nil
			}
			return decodeDescriptor(f.bytes, &target, &digestText)
		})
	})
	if err != nil {
		return target, fmt.Errorf("decoding image %q: %w", name, err)
	}
	if target.Digest, err = digest.Parse(digestText); err != nil {
		return target, fmt.Errorf("image %q has an invalid target digest %q: %w", name, digestText, err)
	}
	return target, nil
}

func decodeDescriptor(b []byte, d *ocispec.Descriptor, digestText *string) error {
	return walk(b, func(f field) error {
		switch f.num {
		case descriptorMediaType:
			d.MediaType = string(f.bytes)
		case descriptorDigest:
			*digestText = string(f.bytes)
		case descriptorSize:
			d.Size = int64(f.varint)
		case descriptorAnnotations:
			var key, value string
			if err := walk(f.bytes, func(f field) error {
				switch f.num {
				case mapEntryKey:
					key = string(f.bytes)
				case mapEntryValue:
					value = string(f.bytes)
				}
				return nil
			}); err != nil {
				return err
			}
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			d.Annotations[key] = value
		}
		return nil
	})
}

// ReadContent streams the blob dgst from containerd's content store, in
// one call however large it is. A missing blob fails here, with an error
// wrapping errdefs.ErrNotFound. The reader does not verify what it reads.
func (c *Client) ReadContent(ctx context.Context, dgst digest.Digest) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(ctx)
	s, err := c.call(ctx, readContent, stringField(readContentRequestDigest, dgst.String()))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("content %s: %w", dgst, err)
	}
	r := &contentReader{stream: s, cancel: cancel, digest: dgst}
	// containerd answers a missing blob after the call has started.
	if err := r.fill(); err != nil && !errors.Is(err, io.EOF) {
		r.Close()
		return nil, err
	}
	return r, nil
}

// contentReader reads one blob's Read stream.
type contentReader struct {
	stream *stream
	cancel context.CancelFunc
	digest digest.Digest
	buf    []byte // the rest of the last message
	err    error  // what comes after buf: io.EOF or the call's error
}

// fill reads the next message with data into buf.
func (r *contentReader) fill() error {
	for len(r.buf) == 0 && r.err == nil {
		msg, err := r.stream.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("content %s: %w", r.digest, err)
			}
			r.err = err
			break
		}
		r.err = walk(msg, func(f field) error {
			if f.num == readContentResponseData {
				r.buf = f.bytes
			}
			return nil
		})
	}
	if len(r.buf) > 0 {
		return nil
	}
	return r.err
}

func (r *contentReader) Read(p []byte) (int, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Close ends the call.
func (r *contentReader) Close() error {
	r.cancel()
	r.stream.close()
	return nil
}

// unary makes a unary call and returns its reply message.
func (c *Client) unary(ctx context.Context, method string, request []byte) ([]byte, error) {
	s, err := c.call(ctx, method, request)
	if err != nil {
		return nil, err
	}
	return s.unary()
}

func stringField(num protowire.Number, v string) []byte {
	return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), v)
}

// field is one field of an encoded message: bytes for a length-delimited
// field, varint for a varint one.
type field struct {
	num    protowire.Number
	bytes  []byte
	varint uint64
}

// walk calls visit with each field of the encoded message b, skipping
// fields of other wire types.
func walk(b []byte, visit func(field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		f := field{num: num}
		switch typ {
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			f.varint, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := visit(f); err != nil {
			return err
		}
	}
	return nil
}
