// Package nodeecho runs Node's `ws` echo server (internal/nodews) for a test.
package nodeecho

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/nodews"
	"github.com/web-socket-js/web-socket-js/internal/testkit/proctest"
)

// Start runs the echo server until the test ends and returns its
// 127.0.0.1:port. Without node or the package the test fails.
func Start(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv, env, err := nodews.EchoCommand(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	return proctest.Start(t, cmd, listening, 30*time.Second)[1]
}

// listening is the line the echo script prints once it accepts connections.
var listening = regexp.MustCompile(`^listening (\S+)`)
