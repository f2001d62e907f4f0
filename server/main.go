// Command server is the web-socket-js echo and Flash socket policy server.
// Run `go run ./server -h` for its flags; package app holds the program.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/web-socket-js/web-socket-js/server/internal/app"
	"github.com/web-socket-js/web-socket-js/server/internal/doctor"
)

// version is set by the release build: -ldflags "-X main.version=v1.2.3".
var version = "dev"

// gcPercent is the garbage collector's target unless GOGC is set. This
// server's heap is mostly long-lived connection state, and an echo
// allocates nothing, so collecting when the heap has grown by half (Go's
// default waits for it to double) costs little CPU and keeps less garbage
// resident per connection; see server/README.md for the measurements.
const gcPercent = 50

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
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
