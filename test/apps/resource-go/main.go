//go:build wasip1

// Command resource-go is a WAGI test app for resource and lifecycle tests:
//
//   - PATH_INFO /sleep, query ms=N: sleeps N milliseconds (at most 60000),
//     then answers "resource-go: slept N ms\n" (a slow in-flight request);
//   - PATH_INFO /alloc, query mb=N: allocates N MiB (at most 3072) and writes
//     to every page, so that it is resident, then answers
//     "resource-go: touched N MiB\n" (exceeds a memory limit);
//   - anything else: "resource-go: ok\n".
//
// It prints "resource-go handled <PATH_INFO>" to stderr.
package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"
)

const (
	maxSleepMS = 60000
	maxAllocMB = 3072
	pageSize   = 4096
)

func main() {
	path := os.Getenv("PATH_INFO")
	fmt.Fprintln(os.Stderr, "resource-go handled", path)
	query, _ := url.ParseQuery(os.Getenv("QUERY_STRING"))
	switch path {
	case "/sleep":
		ms, err := bounded(query.Get("ms"), maxSleepMS)
		if err != nil {
			fail("ms", err)
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		respond(fmt.Sprintf("resource-go: slept %d ms\n", ms))
	case "/alloc":
		mb, err := bounded(query.Get("mb"), maxAllocMB)
		if err != nil {
			fail("mb", err)
		}
		buf := make([]byte, mb<<20)
		for i := 0; i < len(buf); i += pageSize {
			buf[i] = 1
		}
		respond(fmt.Sprintf("resource-go: touched %d MiB\n", len(buf)>>20))
	default:
		respond("resource-go: ok\n")
	}
}

func bounded(s string, limit int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > limit {
		return 0, fmt.Errorf("%d is not in [0, %d]", n, limit)
	}
	return n, nil
}

func respond(body string) {
	fmt.Printf("Content-Type: text/plain\n\n%s", body)
}

func fail(param string, err error) {
	fmt.Printf("Status: 400\nContent-Type: text/plain\n\nresource-go: bad %s: %v\n", param, err)
	os.Exit(0)
}
