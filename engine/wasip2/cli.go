package wasip2

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

func cliEnvironment() *iface {
	i := newIface("wasi:cli/environment" + wasiVersion)
	i.funcs["get-environment"] = fn0(func(st *State) (results, error) {
		out := make(capi.List, len(st.host.cfg.Env))
		for n, kv := range st.host.cfg.Env {
			out[n] = capi.Tuple{capi.String(kv[0]), capi.String(kv[1])}
		}
		return one(out)
	})
	i.funcs["get-arguments"] = fn0(func(*State) (results, error) {
		return one(capi.List{})
	})
	i.funcs["initial-cwd"] = fn0(func(*State) (results, error) {
		return one(capi.Some(capi.String("/")))
	})
	return i
}

// errGuestExit is returned (trapping the guest) by wasi:cli/exit.
var errGuestExit = errors.New("guest called exit")

func cliExit() *iface {
	i := newIface("wasi:cli/exit" + wasiVersion)
	i.funcs["exit"] = fn1(argResult, func(st *State, status capi.Result) (results, error) {
		code := 1
		if status.Ok {
			code = 0
		}
		st.exit = &code
		if status.Ok {
			return nil, fmt.Errorf("%w with success", errGuestExit)
		}
		return nil, fmt.Errorf("%w with failure", errGuestExit)
	})
	return i
}

// emptyReader is stdin: always at EOF.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }

func cliStdio(which string) *iface {
	i := newIface("wasi:cli/" + which + wasiVersion)
	i.funcs["get-"+which] = fn0(func(st *State) (results, error) {
		switch which {
		case "stdin":
			return one(st.own(tyInputStream, &inputStream{r: emptyReader{}}))
		case "stdout":
			return one(st.own(tyOutputStream, &outputStream{w: st.host.cfg.Stdout}))
		default:
			return one(st.own(tyOutputStream, &outputStream{w: st.host.cfg.Stderr}))
		}
	})
	return i
}

// cliTerminal covers terminal-input/-output (resources only) and the
// terminal-std* getters: the guest never has a terminal.
func cliTerminal() []*iface {
	// The resource-only interfaces need no Go functions; the table links
	// them. The getters all answer none.
	var out []*iface
	for _, which := range []string{"stdin", "stdout", "stderr"} {
		i := newIface("wasi:cli/terminal-" + which + wasiVersion)
		i.funcs["get-terminal-"+which] = fn0(func(*State) (results, error) { return one(capi.None) })
		out = append(out, i)
	}
	return out
}

func clocksMonotonic() *iface {
	i := newIface("wasi:clocks/monotonic-clock" + wasiVersion)
	i.funcs["now"] = fn0(func(st *State) (results, error) {
		return one(capi.U64(time.Since(st.start)))
	})
	i.funcs["resolution"] = fn0(func(*State) (results, error) { return one(capi.U64(1)) })
	i.funcs["subscribe-instant"] = fn1(argU64, func(st *State, when uint64) (results, error) {
		return one(st.own(tyPollable, timerPollable(time.Duration(when)-time.Since(st.start))))
	})
	i.funcs["subscribe-duration"] = fn1(argU64, func(st *State, d uint64) (results, error) {
		return one(st.own(tyPollable, timerPollable(time.Duration(d))))
	})
	return i
}

func datetime(t time.Time) capi.Record {
	return capi.Record{
		{Name: "seconds", Val: capi.U64(t.Unix())},
		{Name: "nanoseconds", Val: capi.U32(t.Nanosecond())},
	}
}

func clocksWall() *iface {
	i := newIface("wasi:clocks/wall-clock" + wasiVersion)
	i.funcs["now"] = fn0(func(*State) (results, error) { return one(datetime(time.Now())) })
	i.funcs["resolution"] = fn0(func(*State) (results, error) {
		return one(datetime(time.Unix(0, 1)))
	})
	return i
}

// maxRandom bounds one random-bytes request.
const maxRandom = 1 << 20

// randomIface is wasi:random/random or wasi:random/insecure (both from the
// OS CSPRNG).
func randomIface(which string) *iface {
	i := newIface("wasi:random/" + which + wasiVersion)
	prefix := "get-"
	if which == "insecure" {
		prefix = "get-insecure-"
	}
	i.funcs[prefix+"random-bytes"] = fn1(argU64, func(_ *State, n uint64) (results, error) {
		if n > maxRandom {
			return nil, fmt.Errorf("%d random bytes requested, at most %d allowed", n, maxRandom)
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return one(capi.Bytes(b))
	})
	i.funcs[prefix+"random-u64"] = fn0(func(*State) (results, error) {
		return one(capi.U64(randomU64()))
	})
	return i
}

func randomU64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func randomSeed() *iface {
	i := newIface("wasi:random/insecure-seed" + wasiVersion)
	i.funcs["insecure-seed"] = fn0(func(*State) (results, error) {
		return one(capi.Tuple{capi.U64(randomU64()), capi.U64(randomU64())})
	})
	return i
}
