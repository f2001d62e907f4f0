package swf

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"time"
)

// run runs a compiler command; on failure the error carries its diagnostics as
// file:line:col lines.
func (c *Compiler) run(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if c.OnRun != nil {
		c.OnRun(cmd.Args, time.Since(start))
	}
	if err == nil {
		return nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return errors.New(strings.TrimRight(formatDiagnostics(out.String()), "\n"))
	}
	return err
}
