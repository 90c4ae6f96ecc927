//go:build wasip1

// Command wagi-go is a WAGI (CGI over WASI) test app: it answers with
// Content-Type text/plain and the body
// "wagi-go: path-info=<PATH_INFO> query=<QUERY_STRING> args=<os.Args joined by ' '>\n"
// followed by the request body (stdin), and prints "wagi-go handled" to
// stderr.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	fmt.Fprintln(os.Stderr, "wagi-go handled")
	fmt.Printf("Content-Type: text/plain\n\nwagi-go: path-info=%s query=%s args=%s\n",
		os.Getenv("PATH_INFO"), os.Getenv("QUERY_STRING"), strings.Join(os.Args, " "))
	if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "wagi-go: copy body:", err)
		os.Exit(1)
	}
}
