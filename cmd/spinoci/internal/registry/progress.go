package registry

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
	orascontent "oras.land/oras-go/v2/content"

	"github.com/spinoci/spinoci/cmd/spinoci/internal/humanize"
)

// IsTerminal tells whether f is a terminal (progress bars are drawn only
// then).
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Target is what push and pull write to: blobs can be pushed and checked.
type Target interface {
	orascontent.Pusher
	Exists(ctx context.Context, target ocispec.Descriptor) (bool, error)
}

// Reporter follows the blobs pushed to (or pulled into) the targets it
// wraps: a progress bar per blob on Bars, one line per blob on Lines
// (verbose output), and the totals for the closing line. It is safe for
// concurrent transfers.
type Reporter struct {
	// Verb is what is done to a blob: "push" or "pull".
	Verb string
	// Bars receives progress bars; nil draws none.
	Bars io.Writer
	// Lines receives a line per blob transferred or found already there;
	// nil writes none.
	Lines io.Writer
	// Name names a blob in bars and lines: its file or layer. file is the
	// path of the file the blob is read from, when it is one. A nil Name,
	// or an empty result, names the blob by its media type.
	Name func(desc ocispec.Descriptor, file string) string
	// Expected is the number of blobs the transfer is known to involve
	// (0 when unknown); bars then count "[n/Expected]".
	Expected int

	mu     sync.Mutex
	totals Totals
}

// Totals counts the blobs of a transfer.
type Totals struct {
	// Blobs and Bytes are what was transferred.
	Blobs int
	Bytes int64
	// Present counts the blobs already at the destination.
	Present int
}

// String is e.g. "3 blobs (143 MiB) sent, 2 already there".
func (t Totals) String(verb string) string {
	s := fmt.Sprintf("%d %s (%s) %s", t.Blobs, plural(t.Blobs, "blob"), humanize.Bytes(t.Bytes), verb)
	if t.Present > 0 {
		s += fmt.Sprintf(", %d already there", t.Present)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Totals returns what has been counted so far.
func (r *Reporter) Totals() Totals {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.totals
}

// Wrap returns t reporting its pushes and the blobs it already has.
func (r *Reporter) Wrap(t Target) Target { return reportingTarget{Target: t, r: r} }

type reportingTarget struct {
	Target
	r *Reporter
}

func (t reportingTarget) Exists(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	ok, err := t.Target.Exists(ctx, desc)
	if err == nil && ok {
		t.r.present(desc)
	}
	return ok, err
}

func (t reportingTarget) Push(ctx context.Context, desc ocispec.Descriptor, rd io.Reader) error {
	file := ""
	if f, ok := rd.(*os.File); ok {
		file = f.Name()
	}
	name := t.r.name(desc, file)
	var bar *progressbar.ProgressBar
	if t.r.Bars != nil {
		bar = t.r.bar(desc, name)
		rd = io.TeeReader(rd, bar)
	}
	err := t.Target.Push(ctx, desc, rd)
	if bar != nil {
		if err == nil {
			_ = bar.Finish()
		} else {
			fmt.Fprintln(t.r.Bars)
		}
	}
	if err == nil {
		t.r.done(desc, name)
	}
	return err
}

func (r *Reporter) name(desc ocispec.Descriptor, file string) string {
	if r.Name != nil {
		if n := r.Name(desc, file); n != "" {
			return n
		}
	}
	return desc.MediaType
}

func (r *Reporter) bar(desc ocispec.Descriptor, name string) *progressbar.ProgressBar {
	r.mu.Lock()
	n := r.totals.Blobs + r.totals.Present + 1
	r.mu.Unlock()
	count := ""
	if r.Expected > 0 {
		count = fmt.Sprintf("[%d/%d] ", n, r.Expected)
	}
	return progressbar.NewOptions64(desc.Size,
		progressbar.OptionSetWriter(r.Bars),
		progressbar.OptionSetDescription(fmt.Sprintf("%s %s%s (%s)", r.Verb, count, name, humanize.Bytes(desc.Size))),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(r.Bars) }),
	)
}

func (r *Reporter) done(desc ocispec.Descriptor, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.totals.Blobs++
	r.totals.Bytes += desc.Size
	if r.Lines != nil {
		fmt.Fprintf(r.Lines, "%sed %s (%s, %s)\n", r.Verb, name, humanize.Bytes(desc.Size), shortDigest(desc))
	}
}

func (r *Reporter) present(desc ocispec.Descriptor) {
	name := r.name(desc, "")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.totals.Present++
	if r.Lines != nil {
		fmt.Fprintf(r.Lines, "already there: %s (%s, %s)\n", name, humanize.Bytes(desc.Size), shortDigest(desc))
	}
}

func shortDigest(desc ocispec.Descriptor) string {
	e := desc.Digest.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return desc.Digest.Algorithm().String() + ":" + e
}
