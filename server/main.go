// Command server is the web-socket-js echo and Flash socket policy server.
// Run `go run ./server -h` for its flags; package app holds the program.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/web-socket-js/web-socket-js/server/internal/app"
	"github.com/web-socket-js/web-socket-js/server/internal/doctor"
)

// version is set by the release build: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	app.Version = version
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "doctor" {
		os.Exit(doctor.Main(ctx, os.Args[2:], os.Stdout, os.Stderr))
	}
	if err := app.Run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		if errors.Is(err, app.ErrUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
