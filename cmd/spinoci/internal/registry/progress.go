package registry

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
	orascontent "oras.land/oras-go/v2/content"
)

// IsTerminal tells whether f is a terminal (progress bars are drawn only
// then).
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Target is what push and pull write to: blobs can be pushed and checked.
type Target interface {
	orascontent.Pusher
	Exists(ctx context.Context, target ocispec.Descriptor) (bool, error)
}

// WithProgress wraps t so that each blob pushed through it draws a
// progress bar on w. A nil w returns t unchanged.
func WithProgress(t Target, w io.Writer, verb string) Target {
	if w == nil {
		return t
	}
	return progressTarget{Target: t, w: w, verb: verb}
}

type progressTarget struct {
	Target
	w    io.Writer
	verb string
}

func (p progressTarget) Push(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	bar := progressbar.NewOptions64(desc.Size,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(fmt.Sprintf("%s %s", p.verb, shortDigest(desc))),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
	)
	err := p.Target.Push(ctx, desc, io.TeeReader(r, bar))
	if err == nil {
		_ = bar.Finish()
	} else {
		fmt.Fprintln(p.w)
	}
	return err
}

func shortDigest(desc ocispec.Descriptor) string {
	e := desc.Digest.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}
