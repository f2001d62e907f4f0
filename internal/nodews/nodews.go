// Package nodews pins Node's `ws` package and runs its minimal echo server,
// the independent peer the load bench measures against and the tests put
// behind the policy front.
package nodews

import (
	"context"
	_ "embed"
	"errors"
	"os"
	"os/exec"
	"path/filepath"

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

// EchoCommand fetches the pinned package if needed, writes the echo script
// into tmp and returns the command line that runs it and the environment it
// needs besides the caller's.
func EchoCommand(ctx context.Context, tmp string) (argv, env []string, err error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, nil, errors.New("node is not on PATH: install Node.js (Debian: apt-get install -y nodejs npm)")
	}
	dir, err := npmpkg.Ensure(ctx, WS)
	if err != nil {
		return nil, nil, err
	}
	script := filepath.Join(tmp, "wsecho.js")
	if err := os.WriteFile(script, EchoJS, 0o644); err != nil {
		return nil, nil, err
	}
	return []string{node, script}, []string{"WSJS_WS_DIR=" + filepath.Join(dir, "package")}, nil
}
