package wasip2

import (
	"fmt"
	"maps"
	"strings"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// The WASI 0.2 release candidates of Spin 2.0 and 2.1 guests.
const (
	rcOct2023 = "@0.2.0-rc-2023-10-18"
	rcNov2023 = "@0.2.0-rc-2023-11-10"
)

// rcInterfaces returns the implementations of the release candidates'
// interfaces: each the 0.2 implementation of the same interface (base, by
// name), with the functions whose names or shapes changed adapted. Functions
// left without an implementation trap naming themselves.
func rcInterfaces(base map[string]*iface) []*iface {
	var out []*iface
	for _, line := range strings.Split(strings.TrimSpace(rcInterfaceTable), "\n") {
		name := line[:strings.IndexByte(line, '|')]
		at := strings.IndexByte(name, '@')
		i := newIface(name)
		if b := base[name[:at]+wasiVersion]; b != nil {
			maps.Copy(i.funcs, b.funcs)
			maps.Copy(i.types, b.types)
			maps.Copy(i.drops, b.drops)
		}
		if base := name[:at]; strings.HasPrefix(base, "wasi:sockets/") {
			socketsDeniedRC(i, base)
		}
		switch name[at:] {
		case rcOct2023:
			adaptOct2023(i, base)
		case rcNov2023:
			adaptNov2023(i)
		}
		out = append(out, i)
	}
	return out
}

// adaptOct2023 adapts i to rc-2023-10-18, where wasi:io/streams holds the
// error resource, wasi:io/poll has poll-list and poll-one, the monotonic
// clock one subscribe, and wasi:http/types has fields built from a list,
// header edits without results, outgoing-response built from a status and
// borrowed headers with write instead of body, and outgoing requests of
// another shape (rc_outgoing.go).
func adaptOct2023(i *iface, base map[string]*iface) {
	switch strings.TrimSuffix(i.name, rcOct2023) {
	case "wasi:io/streams":
		i.types["error"] = tyError
		i.funcs["[method]error.to-debug-string"] = base["wasi:io/error"+wasiVersion].funcs["[method]error.to-debug-string"]
	case "wasi:io/poll":
		i.funcs["poll-list"] = i.funcs["poll"]
		i.funcs["poll-one"] = i.funcs["[method]pollable.block"]
	case "wasi:clocks/monotonic-clock":
		instant, duration := i.funcs["subscribe-instant"], i.funcs["subscribe-duration"]
		i.funcs["subscribe"] = func(st *State, args []capi.Val) (results, error) {
			if len(args) != 2 {
				return nil, fmt.Errorf("got %d arguments, want 2", len(args))
			}
			if absolute, ok := args[1].(capi.Bool); ok && bool(absolute) {
				return instant(st, args[:1])
			}
			return duration(st, args[:1])
		}
	case "wasi:http/types":
		i.funcs["[constructor]fields"] = fn1(argList(argField), func(st *State, entries []field) (results, error) {
			for _, e := range entries {
				if !validFieldName(e.name) || !validFieldValue(e.value) {
					return nil, fmt.Errorf("invalid header %q", e.name)
				}
			}
			return one(st.own(tyFields, &fields{list: entries}))
		})
		for _, f := range []string{"[method]fields.set", "[method]fields.delete", "[method]fields.append", "[static]outgoing-body.finish"} {
			i.funcs[f] = withoutResult(i.funcs[f])
		}
		i.funcs["[constructor]outgoing-response"] = fn2(argU16, borrowed[*fields], func(st *State, code uint16, h *fields) (results, error) {
			if code < 100 || code > 999 {
				return nil, fmt.Errorf("invalid status code %d", code)
			}
			return one(st.own(tyOutgoingResponse, &outgoingResponse{status: int(code), headers: h.clone()}))
		})
		i.funcs["[method]outgoing-response.write"] = i.funcs["[method]outgoing-response.body"]
		delete(i.funcs, "[method]future-trailers.get")
		adaptOutgoingOct2023(i)
	case "wasi:http/outgoing-handler":
		adaptOutgoingHandlerOct2023(i)
	}
}

// adaptNov2023 adapts i to rc-2023-11-10, which differs from 0.2 in the
// names of the request-options methods and the shape of future-trailers.get.
func adaptNov2023(i *iface) {
	if strings.TrimSuffix(i.name, rcNov2023) != "wasi:http/types" {
		return
	}
	for _, name := range []string{"connect-timeout", "first-byte-timeout", "between-bytes-timeout"} {
		i.funcs["[method]request-options."+name+"-ms"] = i.funcs["[method]request-options."+name]
		i.funcs["[method]request-options.set-"+name+"-ms"] = i.funcs["[method]request-options.set-"+name]
	}
	i.funcs["[method]future-trailers.get"] = fn1(borrowed[*futureTrailers], func(*State, *futureTrailers) (results, error) {
		// Trailers are not forwarded: always "no trailers".
		return one(capi.Some(capi.Ok(capi.None)))
	})
}

// withoutResult adapts a function returning result<_, E> to one returning
// nothing: an error case traps instead.
func withoutResult(f fn) fn {
	return func(st *State, args []capi.Val) (results, error) {
		out, err := f(st, args)
		if err != nil {
			return nil, err
		}
		if len(out) == 1 {
			if r, ok := out[0].(capi.Result); ok && !r.Ok {
				return nil, fmt.Errorf("failed: %v", r.Val)
			}
		}
		return nil, nil
	}
}
