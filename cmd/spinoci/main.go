// Command spinoci pushes, pulls, inspects and runs Spin applications
// distributed as OCI artifacts. See docs/cli.md or `spinoci --help`.
package main

import (
	"context"
	"os"

	"github.com/spinoci/spinoci/cmd/spinoci/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
