package swf

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
)

// run runs a compiler command; on failure the error carries its diagnostics as
// file:line:col lines.
func run(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return errors.New(strings.TrimRight(formatDiagnostics(out.String()), "\n"))
	}
	return err
}
