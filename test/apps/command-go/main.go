// Command command-go is the command trigger's test app: a WASI command that
// prints its environment variable GREETING and exits with the status in
// EXIT_STATUS (0 when unset).
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	fmt.Printf("command says %s\n", os.Getenv("GREETING"))
	fmt.Fprintln(os.Stderr, "command stderr")
	status, _ := strconv.Atoi(os.Getenv("EXIT_STATUS"))
	os.Exit(status)
}
