// Package nodews pins Node's `ws` package and runs its minimal echo server,
// the independent peer the load bench measures against and the tests put
// behind the policy front.
package nodews

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/npmpkg"
)

// WS is the pinned npm package `ws`.
var WS = npmpkg.Package{
	Name:      "ws",
	Version:   "8.23.0",
	Integrity: "sha512-wCkmX8QMOrKjgO8HW2WyDbTSGeqkocxgDzS9iR79rEAexty6/2qzilx3Ag8Tqf9ykop3irLKle0MtVn5qjVnoQ==",
	Keep:      []string{"package"},
}

// EchoJS is the echo server script; it reads the extracted package's
// directory from WSJS_WS_DIR and prints "listening ADDR".
//
//go:embed wsecho.js
var EchoJS []byte

// Echo is a running Node echo server.
type Echo struct {
	Addr string // 127.0.0.1:port
	cmd  *exec.Cmd
}

// StartEcho fetches the pinned package if needed, writes the script into
// tmp and runs it with node until Stop.
func StartEcho(ctx context.Context, tmp string) (*Echo, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not on PATH: install Node.js (Debian: apt-get install -y nodejs npm)")
	}
	dir, err := npmpkg.Ensure(ctx, WS)
	if err != nil {
		return nil, err
	}
	script := filepath.Join(tmp, "wsecho.js")
	if err := os.WriteFile(script, EchoJS, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "WSJS_WS_DIR="+filepath.Join(dir, "package"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Echo{cmd: cmd}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				addrc <- strings.TrimSpace(a)
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case e.Addr = <-addrc:
		return e, nil
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	e.Stop()
	return nil, fmt.Errorf("the node ws echo server did not report its address")
}

// Stop ends the process (SIGKILL after 5 s without exiting on SIGINT).
func (e *Echo) Stop() {
	e.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		e.cmd.Process.Kill()
		<-done
	}
}
