// Package serverproc builds the server command (./server) and runs it as a
// child process for `mage serve` and `mage dev`. The server's packages live
// under server/internal, so the magefile runs the real binary rather than
// importing them; that also makes Ctrl-C behave exactly as for an operator.
package serverproc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// StopGrace is how long Run lets the server finish after asking it to stop
// before killing it. mage gives targets 5 s after Ctrl-C, so the server's own
// shutdown grace (DefaultShutdownGrace) plus this must stay under that.
const StopGrace = 1500 * time.Millisecond

// DefaultShutdownGrace is the -shutdown-grace Run passes unless args set one:
// shorter than the server's 5 s default, so a client that never answers the
// close 1001 cannot hold `mage serve` past mage's own cleanup window.
const DefaultShutdownGrace = "2s"

// Build compiles the server command of the project at root into dir and
// returns the binary's path. The go command's build cache makes a warm
// build take a second or so.
func Build(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "web-socket-js-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./server")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./server: %v\n%s", err, strings.TrimSpace(out.String()))
	}
	return bin, nil
}

// Command prepares bin with args for Run: -shutdown-grace defaults to
// DefaultShutdownGrace (a later flag in args wins, as with any Go flag set),
// output goes to out, and cancelling ctx sends SIGINT (the server shuts down
// gracefully), then SIGKILL after StopGrace more.
func Command(ctx context.Context, bin string, args []string, out io.Writer) *exec.Cmd {
	argv := append([]string{"-shutdown-grace", DefaultShutdownGrace}, args...)
	cmd := exec.CommandContext(ctx, bin, argv...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = shutdownGrace(argv) + StopGrace
	return cmd
}

// Run runs the server until it exits or ctx ends. A server stopped by ctx
// is not an error.
func Run(ctx context.Context, bin string, args []string, out io.Writer) error {
	cmd := Command(ctx, bin, args, out)
	err := cmd.Run()
	if ctx.Err() != nil && cmd.ProcessState != nil && (cmd.ProcessState.Success() || !cmd.ProcessState.Exited()) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// shutdownGrace is the last -shutdown-grace in argv (or its default).
func shutdownGrace(argv []string) time.Duration {
	d, _ := time.ParseDuration(DefaultShutdownGrace)
	for i, a := range argv {
		v, ok := "", false
		switch {
		case (a == "-shutdown-grace" || a == "--shutdown-grace") && i+1 < len(argv):
			v, ok = argv[i+1], true
		case strings.HasPrefix(a, "-shutdown-grace="), strings.HasPrefix(a, "--shutdown-grace="):
			_, v, _ = strings.Cut(a, "=")
			ok = true
		}
		if p, err := time.ParseDuration(v); ok && err == nil {
			d = p
		}
	}
	return d
}
