package loadbench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/nodews"
)

// peer is one echo server under test, run as its own process.
type peer struct {
	Name string
	cmd  *exec.Cmd
	Addr string // host:port
	Path string // WebSocket path
}

// peerSpec says how to start a peer.
type peerSpec struct {
	name string
	path string
	argv func(tmp string) ([]string, []string, error) // command line and extra environment
}

// moduleRoot is the directory of the module being benchmarked.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (is the go command on PATH?)", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("the benchmark must run inside the web-socket-js module")
	}
	// The bench module sits in bench/ of the project it measures.
	return filepath.Dir(filepath.Dir(mod)), nil
}

// goBuild compiles pkg (relative to the module directory root) into dir.
func goBuild(ctx context.Context, root, pkg, dir string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

func peerSpecs(ctx context.Context, opts Options) ([]peerSpec, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	specs := []peerSpec{
		{name: "this server", path: "/echo", argv: func(tmp string) ([]string, []string, error) {
			bin, err := goBuild(ctx, root, "./server", tmp)
			// Pings off: the peers do not ping either, and rows last seconds.
			return []string{bin, "-addr", "127.0.0.1:0", "-log-level", "error", "-max-conns", "100000",
				"-ping-interval", "-1s", "-dist", tmp}, nil, err
		}},
		{name: "gorilla", path: "/", argv: func(tmp string) ([]string, []string, error) {
			bin, err := goBuild(ctx, filepath.Join(root, "bench"), "./loadbench/gorillaecho", tmp)
			return []string{bin}, nil, err
		}},
	}
	if !opts.SkipNode {
		specs = append(specs, peerSpec{name: "node ws " + nodews.WS.Version, path: "/", argv: func(tmp string) ([]string, []string, error) {
			return nodews.EchoCommand(ctx, tmp)
		}})
	}
	return specs, nil
}

// prepared returns s with its command line made (and its binary built)
// once, so that starting it again costs no build.
func (s peerSpec) prepared(tmp string) (peerSpec, error) {
	argv, env, err := s.argv(tmp)
	if err != nil {
		return s, fmt.Errorf("%s: %w", s.name, err)
	}
	s.argv = func(string) ([]string, []string, error) { return argv, env, nil }
	return s, nil
}

// start launches the peer and waits for its "listening ADDR" line (our
// server prints its URL instead).
func (s peerSpec) start(ctx context.Context, tmp string) (*peer, error) {
	argv, env, err := s.argv(tmp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a := listenAddr(sc.Text()); a != "" {
				addrc <- a
				break
			}
		}
		io.Copy(io.Discard, out) // keep the pipe drained
	}()
	p := &peer{Name: s.name, cmd: cmd, Path: s.path}
	select {
	case p.Addr = <-addrc:
		return p, nil
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	p.stop()
	return nil, fmt.Errorf("%s did not report its address", s.name)
}

// listenAddr finds the address in a peer's start-up line.
func listenAddr(line string) string {
	if a, ok := strings.CutPrefix(line, "listening "); ok {
		return strings.TrimSpace(a)
	}
	if _, rest, ok := strings.Cut(line, "try it at http://"); ok {
		a, _, _ := strings.Cut(rest, "/")
		return a
	}
	return ""
}

func (p *peer) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// rssBytes is the peer's resident memory, from /proc (Linux).
func (p *peer) rssBytes() (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading memory use (Linux /proc): %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// cpuTime is the CPU time (user + system) the peer's process has used, from
// /proc (Linux; its clock ticks are USER_HZ, 100 per second).
func (p *peer) cpuTime() (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("reading CPU time (Linux /proc): %w", err)
	}
	// The command name in parentheses may hold spaces; fields follow it.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, errors.New("malformed /proc stat")
	}
	var ticks int64
	for _, field := range f[11:13] { // utime, stime
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100), nil
}
