package wasip2

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// ioErr is a wasi:io/error.error.
type ioErr struct{ err error }

func ioError() *iface {
	i := newIface("wasi:io/error" + wasiVersion)
	i.types["error"] = tyError
	i.funcs["[method]error.to-debug-string"] = fn1(borrowed[*ioErr], func(_ *State, e *ioErr) (results, error) {
		return one(capi.String(e.err.Error()))
	})
	return i
}

// pollable is ready once ready is closed (a nil channel is always ready).
type pollable struct {
	ready <-chan struct{}
}

func (p *pollable) isReady() bool {
	if p.ready == nil {
		return true
	}
	select {
	case <-p.ready:
		return true
	default:
		return false
	}
}

// timerPollable is ready at t.
func timerPollable(d time.Duration) *pollable {
	c := make(chan struct{})
	time.AfterFunc(d, func() { close(c) })
	return &pollable{ready: c}
}

func ioPoll() *iface {
	i := newIface("wasi:io/poll" + wasiVersion)
	i.types["pollable"] = tyPollable
	i.funcs["[method]pollable.ready"] = fn1(borrowed[*pollable], func(_ *State, p *pollable) (results, error) {
		return one(capi.Bool(p.isReady()))
	})
	i.funcs["[method]pollable.block"] = fn1(borrowed[*pollable], func(st *State, p *pollable) (results, error) {
		_, err := st.poll([]*pollable{p})
		return nil, err
	})
	i.funcs["poll"] = fn1(argList(borrowed[*pollable]), func(st *State, ps []*pollable) (results, error) {
		ready, err := st.poll(ps)
		if err != nil {
			return nil, err
		}
		out := make(capi.List, len(ready))
		for n, r := range ready {
			out[n] = capi.U32(r)
		}
		return one(out)
	})
	return i
}

// poll blocks until at least one pollable is ready (or the request's
// context ends, which traps) and returns the indices of the ready ones.
func (st *State) poll(ps []*pollable) ([]uint32, error) {
	if len(ps) == 0 {
		return nil, errors.New("poll: empty list")
	}
	for {
		var ready []uint32
		for n, p := range ps {
			if p.isReady() {
				ready = append(ready, uint32(n))
			}
		}
		if len(ready) > 0 {
			return ready, nil
		}
		cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(st.ctx.Done())}}
		for _, p := range ps {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(p.ready)})
		}
		if chosen, _, _ := reflect.Select(cases); chosen == 0 {
			return nil, fmt.Errorf("poll: %w", st.ctx.Err())
		}
	}
}

// pollableReader is a reader whose Read does not block: it returns 0, nil
// until subscribe's pollable is ready.
type pollableReader interface {
	subscribe() *pollable
}

// inputStream reads from r; each read blocks until some data or EOF.
type inputStream struct {
	r      io.Reader
	closed bool
}

// maxRead bounds one read, whatever length the guest asks for.
const maxRead = 64 << 10

func (s *inputStream) read(n uint64) (capi.Val, error) {
	if s.closed {
		return nil, io.EOF
	}
	if n > maxRead {
		n = maxRead
	}
	if n == 0 {
		return capi.Bytes(nil), nil
	}
	buf := make([]byte, n)
	got, err := s.r.Read(buf)
	if got > 0 {
		return capi.Bytes(buf[:got]), nil
	}
	if err == nil {
		return capi.Bytes(nil), nil
	}
	s.closed = true
	return nil, err
}

func (s *inputStream) close() {
	if c, ok := s.r.(io.Closer); ok {
		c.Close()
	}
}

// outputStream writes to w; flush (if set) pushes buffered output out.
type outputStream struct {
	w     io.Writer
	flush func() error
	// finished is set once the owning body is finished: writes fail.
	finished bool
}

// writeBudget is what check-write grants.
const writeBudget = 1 << 20

// streamError renders err as a wasi:io/streams.stream-error.
func streamError(st *State, err error) capi.Val {
	if errors.Is(err, io.EOF) {
		return capi.Variant{Case: "closed"}
	}
	return capi.Variant{Case: "last-operation-failed", Val: st.own(tyError, &ioErr{err: err})}
}

func ioStreams() *iface {
	i := newIface("wasi:io/streams" + wasiVersion)
	i.types["input-stream"] = tyInputStream
	i.types["output-stream"] = tyOutputStream
	// read returns the bytes read, or for skip only how many there were.
	read := func(skip bool) fn {
		return fn2(borrowed[*inputStream], argU64, func(st *State, s *inputStream, n uint64) (results, error) {
			b, rerr := s.read(n)
			if rerr != nil {
				return one(capi.Err(streamError(st, rerr)))
			}
			if skip {
				return one(capi.Ok(capi.U64(len(b.(capi.Bytes)))))
			}
			return one(capi.Ok(b))
		})
	}
	// blocking waits, for a stream that can say when it is ready, until
	// it is, then reads.
	blocking := func(f fn) fn {
		return func(st *State, args []capi.Val) (results, error) {
			if len(args) > 0 {
				if s, err := borrowed[*inputStream](st, args[0]); err == nil {
					if p, ok := s.r.(pollableReader); ok {
						if _, err := st.poll([]*pollable{p.subscribe()}); err != nil {
							return nil, err
						}
					}
				}
			}
			return f(st, args)
		}
	}
	i.funcs["[method]input-stream.read"] = read(false)
	i.funcs["[method]input-stream.blocking-read"] = blocking(read(false))
	i.funcs["[method]input-stream.skip"] = read(true)
	i.funcs["[method]input-stream.blocking-skip"] = blocking(read(true))
	// Streams are always ready (reads and writes block in the call) but
	// those that can say when they are (sockets).
	i.funcs["[method]input-stream.subscribe"] = fn1(borrowed[*inputStream], func(st *State, s *inputStream) (results, error) {
		if p, ok := s.r.(pollableReader); ok {
			return one(st.own(tyPollable, p.subscribe()))
		}
		return one(st.own(tyPollable, &pollable{}))
	})
	i.funcs["[method]output-stream.subscribe"] = fn1(borrowed[*outputStream], func(st *State, _ *outputStream) (results, error) {
		return one(st.own(tyPollable, &pollable{}))
	})
	i.funcs["[method]output-stream.check-write"] = fn1(borrowed[*outputStream], func(_ *State, s *outputStream) (results, error) {
		if s.finished {
			return one(capi.Err(capi.Variant{Case: "closed"}))
		}
		return one(capi.Ok(capi.U64(writeBudget)))
	})
	write := func(flush bool) fn {
		return fn2(borrowed[*outputStream], argBytes, func(st *State, s *outputStream, b []byte) (results, error) {
			if werr := s.write(b, flush); werr != nil {
				return one(capi.Err(streamError(st, werr)))
			}
			return one(capi.Ok(nil))
		})
	}
	i.funcs["[method]output-stream.write"] = write(false)
	i.funcs["[method]output-stream.blocking-write-and-flush"] = write(true)
	flush := fn1(borrowed[*outputStream], func(st *State, s *outputStream) (results, error) {
		if werr := s.write(nil, true); werr != nil {
			return one(capi.Err(streamError(st, werr)))
		}
		return one(capi.Ok(nil))
	})
	i.funcs["[method]output-stream.flush"] = flush
	i.funcs["[method]output-stream.blocking-flush"] = flush
	zeroes := func(flush bool) fn {
		return fn2(borrowed[*outputStream], argU64, func(st *State, s *outputStream, n uint64) (results, error) {
			if n > writeBudget {
				return nil, fmt.Errorf("write-zeroes: %d bytes exceeds check-write", n)
			}
			if werr := s.write(make([]byte, n), flush); werr != nil {
				return one(capi.Err(streamError(st, werr)))
			}
			return one(capi.Ok(nil))
		})
	}
	i.funcs["[method]output-stream.write-zeroes"] = zeroes(false)
	i.funcs["[method]output-stream.blocking-write-zeroes-and-flush"] = zeroes(true)
	splice := fn3(borrowed[*outputStream], borrowed[*inputStream], argU64, func(st *State, dst *outputStream, src *inputStream, n uint64) (results, error) {
		b, rerr := src.read(n)
		if rerr != nil {
			return one(capi.Err(streamError(st, rerr)))
		}
		if werr := dst.write(b.(capi.Bytes), false); werr != nil {
			return one(capi.Err(streamError(st, werr)))
		}
		return one(capi.Ok(capi.U64(len(b.(capi.Bytes)))))
	})
	i.funcs["[method]output-stream.splice"] = splice
	i.funcs["[method]output-stream.blocking-splice"] = splice
	return i
}

func (s *outputStream) write(b []byte, flush bool) error {
	if s.finished {
		return io.EOF
	}
	if len(b) > 0 {
		if _, err := s.w.Write(b); err != nil {
			return err
		}
	}
	if flush && s.flush != nil {
		return s.flush()
	}
	return nil
}
