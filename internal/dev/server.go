package dev

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/serverproc"
)

// serverStartTimeout bounds the wait for the server's "try it at" line.
const serverStartTimeout = 30 * time.Second

// tryItLine is the server's startup line; its URL says which port it bound.
var tryItLine = regexp.MustCompile(`try it at http://([^/\s]+)/`)

// server is the running server child.
type server struct {
	addr string // its bound host:port
	pid  int
	done chan error // receives its exit once it has stopped
}

// startServer runs the server binary as serve does and returns once it has printed
// where it listens. Cancelling ctx stops it (SIGINT, then kill after the grace).
func startServer(ctx context.Context, bin string, args []string, log io.Writer) (*server, error) {
	found := make(chan string, 1)
	cmd := serverproc.Command(ctx, bin, args, &addrSniffer{out: log, found: found})
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	s := &server{pid: cmd.Process.Pid, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.addr = <-found:
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("the server exited before it listened: %v", err)
	case <-time.After(serverStartTimeout):
		cmd.Process.Kill()
		<-s.done
		return nil, errors.New("the server did not say where it listens within " + serverStartTimeout.String())
	case <-ctx.Done():
		<-s.done
		return nil, ctx.Err()
	}
}

// addrSniffer passes the server's output on line by line, except its "try it at" line:
// it reports that line's address instead (the page's address is the front's, which dev
// prints).
type addrSniffer struct {
	out   io.Writer
	found chan string
	mu    sync.Mutex
	buf   []byte
	done  bool
}

func (a *addrSniffer) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buf = append(a.buf, p...)
	for {
		i := bytes.IndexByte(a.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := a.buf[:i+1]
		a.buf = a.buf[i+1:]
		if m := tryItLine.FindSubmatch(line); m != nil && !a.done {
			a.done = true
			a.found <- string(m[1])
			continue
		}
		if a.out != nil {
			a.out.Write(line)
		}
	}
}
