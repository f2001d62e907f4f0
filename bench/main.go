// Command bench is `mage bench`'s load test: the echo server against a
// minimal gorilla/websocket echo and Node's `ws`, each its own process on
// 127.0.0.1. It lives in its own module so the product module and
// `mage test` never build the peers or install `ws`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/web-socket-js/web-socket-js/bench/loadbench"
)

func main() {
	quick := flag.Bool("quick", false, "a smoke run with small counts")
	skipNode := flag.Bool("skip-node", false, "leave out the Node ws peer")
	idleOnly := flag.Bool("idle", false, "measure only the memory per idle connection")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := loadbench.Run(ctx, os.Stdout, loadbench.Options{Quick: *quick, SkipNode: *skipNode, IdleOnly: *idleOnly, Log: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
