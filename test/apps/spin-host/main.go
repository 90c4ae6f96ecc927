//go:build wasip1

// Command spin-host is a Spin 1.x HTTP (wit-bindgen 0.2) test app in plain
// Go (a wasip1 reactor with //go:wasmexport and //go:wasmimport) that
// exercises the host: key-value, spin-config, wasi-outbound-http, files,
// environment and the request as the guest sees it. Operations are chosen
// by spin-path-info (the path after the component's route):
//
//	/kv/incr/<key>     increments a counter in the "default" store (or the
//	                   one header x-kv-store names, for every /kv operation) → "<n>\n"
//	/kv/get/<key>      the value, or 404 "error: no-such-key\n"
//	/kv/set/<key>      stores the request body → "ok\n"
//	/kv/delete/<key>   → "ok\n"
//	/kv/exists/<key>   → "true\n" or "false\n"
//	/kv/keys           the keys of "default", one per line
//	/kv/open/<store>   → "ok\n" or "error: <variant>\n" (status 403)
//	/kv/many           opens "default" 257 times → the error of the last open
//	/config/<key>      the spin-config value, or "error: <variant>: <msg>\n" (status 404)
//	/outbound          sends the request's method, headers x-out-* (prefix
//	                   removed) and body to the URL in header x-url →
//	                   "status=<n>\n<lowercase response headers>\n\n<body>",
//	                   or 502 "error: <http-error>\n"
//	/file/<path>       the content of the file at guest path /<path>, or 404
//	/write/<path>      tries to create /<path> → "written\n" or 403 "error: …\n"
//	/env/<NAME>        the value of environment variable NAME
//	/request           "method=<M> uri=<uri> body=<n bytes>\n" then the request
//	                   headers, "name: value" lines in the order received
//	/status/<n>        answers status n with no headers and no body
//	/sqlite/<database> executes the request body (parameters: the values of
//	                   headers x-param-1, x-param-2, …, as text) → the columns joined by
//	                   "|", then a line of "kind:value" cells per row, or
//	                   500 "error: <variant>[: <message>]\n"
//	/redis/<op>/<name> outbound-redis to the address in header x-redis-address:
//	                   set/<key> and publish/<channel> send the body → "ok\n";
//	                   get/<key> → the value; incr/<key> → "<n>\n";
//	                   execute/<command> with the x-param-N values as binary
//	                   arguments → a "nil", "status:…", "int:…" or "binary:…"
//	                   line per result; a failure is 500 "error: error 1\n"
//	/pg/query, /mysql/query, /pg/execute, /mysql/execute
//	                   runs the request body with outbound-pg or outbound-mysql
//	                   on the database at header x-db-url (parameters: headers
//	                   x-param-N as str) → execute: "rows=<n>\n" (pg) or "ok\n";
//	                   query: the columns as "name:<data-type tag>" joined by
//	                   "|", then a line of "kind:value" cells per row; or 500
//	                   "error: <variant>: <message>\n"
//
// Anything else is 404 "no such operation\n". Each request prints
// "spin-host <method> <uri>" to stdout.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/spinoci/spinoci/test/apps/internal/guestabi"
)

func main() {}

// retArea is the 28-byte response return area of handle-http-request.
var retArea [7]uint32

type request struct {
	method  uint32
	uri     string
	headers [][2]string
	body    []byte
}

func (r *request) header(name string) string {
	for _, h := range r.headers {
		if h[0] == name {
			return h[1]
		}
	}
	return ""
}

type response struct {
	status  int
	headers [][2]string
	body    string
}

func text(status int, format string, args ...any) response {
	return response{status: status, headers: [][2]string{{"content-type", "text/plain"}}, body: fmt.Sprintf(format, args...)}
}

//go:wasmexport handle-http-request
func handleHTTPRequest(method, uriPtr, uriLen, hdrPtr, hdrLen, paramsPtr, paramsLen, bodyTag, bodyPtr, bodyLen uint32) uint32 {
	req := &request{method: method, uri: guestabi.Str(uriPtr, uriLen)}
	if hdrLen > 0 {
		for _, t := range unsafe.Slice((*[4]uint32)(guestabi.Ptr(hdrPtr)), hdrLen) {
			req.headers = append(req.headers, [2]string{guestabi.Str(t[0], t[1]), guestabi.Str(t[2], t[3])})
		}
	}
	if bodyTag != 0 && bodyLen > 0 {
		req.body = []byte(guestabi.Str(bodyPtr, bodyLen))
	}
	m := "UNKNOWN"
	if int(method) < len(guestabi.Methods) {
		m = guestabi.Methods[method]
	}
	fmt.Printf("spin-host %s %s\n", m, req.uri)
	resp := route(req, m)

	var hp uint32
	if len(resp.headers) > 0 {
		hp = guestabi.Alloc(uint32(16 * len(resp.headers)))
		h := unsafe.Slice((*uint32)(guestabi.Ptr(hp)), 4*len(resp.headers))
		for i, kv := range resp.headers {
			h[4*i], h[4*i+1] = guestabi.Put([]byte(kv[0]))
			h[4*i+2], h[4*i+3] = guestabi.Put([]byte(kv[1]))
		}
	}
	var hasHeaders, hasBody uint32
	if resp.headers != nil {
		hasHeaders = 1
	}
	var bp, bl uint32
	if resp.body != "" {
		hasBody = 1
		bp, bl = guestabi.Put([]byte(resp.body))
	}
	retArea = [7]uint32{uint32(resp.status), hasHeaders, hp, uint32(len(resp.headers)), hasBody, bp, bl}
	return uint32(uintptr(unsafe.Pointer(&retArea[0])))
}

func route(req *request, method string) response {
	op := strings.TrimPrefix(req.header("spin-path-info"), "/")
	verb, rest, _ := strings.Cut(op, "/")
	switch verb {
	case "kv":
		return keyValue(req, rest)
	case "config":
		v, err := getConfig(rest)
		if err != nil {
			return text(404, "error: %v\n", err)
		}
		return text(200, "%s", v)
	case "outbound":
		return outboundOp(req)
	case "file":
		b, err := os.ReadFile("/" + rest)
		if err != nil {
			return text(404, "error: %v\n", err)
		}
		return text(200, "%s", b)
	case "write":
		if err := os.WriteFile("/"+rest, []byte("x"), 0o644); err != nil {
			return text(403, "error: %v\n", err)
		}
		return text(200, "written\n")
	case "env":
		return text(200, "%s", os.Getenv(rest))
	case "request":
		var b strings.Builder
		fmt.Fprintf(&b, "method=%s uri=%s body=%d bytes\n", method, req.uri, len(req.body))
		for _, h := range req.headers {
			fmt.Fprintf(&b, "%s: %s\n", h[0], h[1])
		}
		return text(200, "%s", b.String())
	case "status":
		n, _ := strconv.Atoi(rest)
		return response{status: n}
	case "sqlite":
		out, err := sqliteQuery(rest, string(req.body), req.params())
		if err != nil {
			return text(500, "error: %v\n", err)
		}
		return text(200, "%s", out)
	case "redis":
		return redisOp(req, rest, req.params())
	case "pg", "mysql":
		var params []string
		for i := 1; req.header(fmt.Sprintf("x-param-%d", i)) != ""; i++ {
			params = append(params, req.header(fmt.Sprintf("x-param-%d", i)))
		}
		out, err := rdbmsRun(verb == "pg", rest == "execute", req.header("x-db-url"), string(req.body), params)
		if err != nil {
			return text(500, "error: %v\n", err)
		}
		return text(200, "%s", out)
	}
	return text(404, "no such operation\n")
}

// params are the values of headers x-param-1, x-param-2, ….
func (r *request) params() []string {
	var params []string
	for i := 1; r.header(fmt.Sprintf("x-param-%d", i)) != ""; i++ {
		params = append(params, r.header(fmt.Sprintf("x-param-%d", i)))
	}
	return params
}

func keyValue(req *request, op string) response {
	verb, key, _ := strings.Cut(op, "/")
	if verb == "open" {
		if _, err := kvOpen(key); err != nil {
			return text(403, "error: %v\n", err)
		}
		return text(200, "ok\n")
	}
	if verb == "many" {
		var err error
		for i := 0; i < 257 && err == nil; i++ {
			_, err = kvOpen("default")
		}
		return text(200, "error: %v\n", err)
	}
	label := req.header("x-kv-store")
	if label == "" {
		label = "default"
	}
	store, err := kvOpen(label)
	if err != nil {
		return text(500, "error: open: %v\n", err)
	}
	defer kvCloseImport(store)
	switch verb {
	case "incr":
		n := 0
		v, err := kvGet(store, key)
		if e, ok := err.(*kvError); ok && e.tag == 4 {
			err = nil
		} else if err == nil {
			n, err = strconv.Atoi(string(v))
		}
		if err != nil {
			return text(500, "error: %v\n", err)
		}
		n++
		if err := kvSet(store, key, []byte(strconv.Itoa(n))); err != nil {
			return text(500, "error: %v\n", err)
		}
		return text(200, "%d\n", n)
	case "get":
		v, err := kvGet(store, key)
		if err != nil {
			return text(404, "error: %v\n", err)
		}
		return text(200, "%s", v)
	case "set":
		if err := kvSet(store, key, req.body); err != nil {
			return text(500, "error: %v\n", err)
		}
		return text(200, "ok\n")
	case "delete":
		if err := kvDelete(store, key); err != nil {
			return text(500, "error: %v\n", err)
		}
		return text(200, "ok\n")
	case "exists":
		ok, err := kvExists(store, key)
		if err != nil {
			return text(500, "error: %v\n", err)
		}
		return text(200, "%t\n", ok)
	case "keys":
		keys, err := kvKeys(store)
		if err != nil {
			return text(500, "error: %v\n", err)
		}
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(k + "\n")
		}
		return text(200, "%s", b.String())
	}
	return text(404, "no such operation\n")
}

func outboundOp(req *request) response {
	var headers [][2]string
	for _, h := range req.headers {
		if name, ok := strings.CutPrefix(h[0], "x-out-"); ok {
			headers = append(headers, [2]string{name, h[1]})
		}
	}
	resp, err := outbound(req.method, req.header("x-url"), headers, req.body)
	if err != nil {
		return text(502, "error: %v\n", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "status=%d\n", resp.status)
	for _, h := range resp.headers {
		fmt.Fprintf(&b, "%s: %s\n", h[0], h[1])
	}
	b.WriteString("\n")
	b.Write(resp.body)
	return text(200, "%s", b.String())
}
