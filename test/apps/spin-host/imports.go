//go:build wasip1

package main

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/spinoci/spinoci/test/apps/internal/guestabi"
)

// Spin 1.x host imports, flat wit-bindgen 0.2 signatures.

//go:wasmimport key-value open
func kvOpenImport(namePtr, nameLen, ret uint32)

//go:wasmimport key-value get
func kvGetImport(store, keyPtr, keyLen, ret uint32)

//go:wasmimport key-value set
func kvSetImport(store, keyPtr, keyLen, valPtr, valLen, ret uint32)

//go:wasmimport key-value delete
func kvDeleteImport(store, keyPtr, keyLen, ret uint32)

//go:wasmimport key-value exists
func kvExistsImport(store, keyPtr, keyLen, ret uint32)

//go:wasmimport key-value get-keys
func kvGetKeysImport(store, ret uint32)

//go:wasmimport key-value close
func kvCloseImport(store uint32)

//go:wasmimport spin-config get-config
func getConfigImport(keyPtr, keyLen, ret uint32)

//go:wasmimport wasi-outbound-http request
func outboundRequestImport(method, uriPtr, uriLen, hdrPtr, hdrLen, paramsPtr, paramsLen, bodyTag, bodyPtr, bodyLen, ret uint32)

// kvErrors names the key-value error variants by tag.
var kvErrors = []string{"store-table-full", "no-such-store", "access-denied", "invalid-store", "no-such-key", "io"}

// kvError is a key-value error variant.
type kvError struct {
	tag int
	msg string // io only
}

func (e *kvError) Error() string {
	name := fmt.Sprintf("tag-%d", e.tag)
	if e.tag < len(kvErrors) {
		name = kvErrors[e.tag]
	}
	if e.msg != "" {
		return name + ": " + e.msg
	}
	return name
}

// kvRet is the 16-byte key-value return area.
var kvRet [4]uint32

func kvResult() error {
	if kvRet[0]&0xff == 0 {
		return nil
	}
	e := &kvError{tag: int(kvRet[1] & 0xff)}
	if e.tag == 5 {
		e.msg = string(guestabi.Take(kvRet[2], kvRet[3]))
	}
	return e
}

func kvOpen(name string) (uint32, error) {
	n := argOf(name)
	kvOpenImport(n.ptr(), n.len(), addr(&kvRet[0]))
	keep(n)
	if err := kvResult(); err != nil {
		return 0, err
	}
	return kvRet[1], nil
}

func kvGet(store uint32, key string) ([]byte, error) {
	k := argOf(key)
	kvGetImport(store, k.ptr(), k.len(), addr(&kvRet[0]))
	keep(k)
	if err := kvResult(); err != nil {
		return nil, err
	}
	return guestabi.Take(kvRet[1], kvRet[2]), nil
}

func kvSet(store uint32, key string, value []byte) error {
	k, v := argOf(key), arg{b: value}
	kvSetImport(store, k.ptr(), k.len(), v.ptr(), v.len(), addr(&kvRet[0]))
	keep(k, v)
	return kvResult()
}

func kvDelete(store uint32, key string) error {
	k := argOf(key)
	kvDeleteImport(store, k.ptr(), k.len(), addr(&kvRet[0]))
	keep(k)
	return kvResult()
}

func kvExists(store uint32, key string) (bool, error) {
	k := argOf(key)
	kvExistsImport(store, k.ptr(), k.len(), addr(&kvRet[0]))
	keep(k)
	if err := kvResult(); err != nil {
		return false, err
	}
	return kvRet[1]&0xff != 0, nil
}

func kvKeys(store uint32) ([]string, error) {
	kvGetKeysImport(store, addr(&kvRet[0]))
	if err := kvResult(); err != nil {
		return nil, err
	}
	ptr, n := kvRet[1], kvRet[2]
	var keys []string
	if n > 0 {
		elems := unsafe.Slice((*[2]uint32)(guestabi.Ptr(ptr)), n)
		for _, e := range elems {
			keys = append(keys, string(guestabi.Take(e[0], e[1])))
		}
		guestabi.Free(ptr)
	}
	return keys, nil
}

// configErrors names the spin-config error variants by tag.
var configErrors = []string{"provider", "invalid-key", "invalid-schema", "other"}

func getConfig(key string) (string, error) {
	k := argOf(key)
	getConfigImport(k.ptr(), k.len(), addr(&kvRet[0]))
	keep(k)
	if kvRet[0]&0xff == 0 {
		return string(guestabi.Take(kvRet[1], kvRet[2])), nil
	}
	tag := int(kvRet[1] & 0xff)
	name := fmt.Sprintf("tag-%d", tag)
	if tag < len(configErrors) {
		name = configErrors[tag]
	}
	return "", errors.New(name + ": " + string(guestabi.Take(kvRet[2], kvRet[3])))
}

// httpErrors names the http-error enum values.
var httpErrors = []string{"success", "destination-not-allowed", "invalid-url", "request-error", "runtime-error", "too-many-requests"}

// outRet is the 32-byte wasi-outbound-http return area.
var outRet [8]uint32

type outResponse struct {
	status  int
	headers [][2]string
	body    []byte
}

func outbound(method uint32, url string, headers [][2]string, body []byte) (*outResponse, error) {
	u, b := argOf(url), arg{b: body}
	tuples, hold := pairs(headers)
	var hdrPtr uint32
	if len(tuples) > 0 {
		hdrPtr = addr(&tuples[0])
	}
	outboundRequestImport(method, u.ptr(), u.len(), hdrPtr, uint32(len(headers)), 0, 0, 1, b.ptr(), b.len(), addr(&outRet[0]))
	keep(u, b)
	runtime.KeepAlive(hold)
	runtime.KeepAlive(tuples)
	if outRet[0]&0xff != 0 {
		tag := int(outRet[1] & 0xff)
		if tag < len(httpErrors) {
			return nil, errors.New(httpErrors[tag])
		}
		return nil, fmt.Errorf("http-error %d", tag)
	}
	resp := &outResponse{status: int(outRet[1] & 0xffff)}
	if outRet[2]&0xff != 0 {
		ptr, n := outRet[3], outRet[4]
		if n > 0 {
			for _, t := range unsafe.Slice((*[4]uint32)(guestabi.Ptr(ptr)), n) {
				resp.headers = append(resp.headers, [2]string{string(guestabi.Take(t[0], t[1])), string(guestabi.Take(t[2], t[3]))})
			}
			guestabi.Free(ptr)
		}
	}
	if outRet[5]&0xff != 0 {
		resp.body = guestabi.Take(outRet[6], outRet[7])
	}
	return resp, nil
}
