//go:build wasip1

// Command fsprobe is a WAGI test module for the engine tests: with query
// "env" it prints its environment (one variable per line), otherwise it
// prints the content of the file whose guest path is the query, or a 404
// when it cannot be read.
package main

import (
	"fmt"
	"os"
	"sort"
)

func main() {
	q := os.Getenv("QUERY_STRING")
	if q == "env" {
		env := os.Environ()
		sort.Strings(env)
		fmt.Print("Content-Type: text/plain\n\n")
		for _, kv := range env {
			fmt.Println(kv)
		}
		return
	}
	b, err := os.ReadFile(q)
	if err != nil {
		fmt.Printf("Status: 404 Not Found\nContent-Type: text/plain\n\nerror: %v\n", err)
		return
	}
	fmt.Printf("Content-Type: text/plain\n\n%s", b)
}
