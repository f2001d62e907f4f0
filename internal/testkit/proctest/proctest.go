// Package proctest runs a program for a test and waits for the line in its
// output that says it is ready (a server's address, say).
package proctest

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// Start starts cmd, kills it when the test ends, and returns the submatches
// of the first line of its standard output that ready matches. The rest of
// the output is read and dropped, so the program never blocks on it. The
// test fails when no such line comes within wait.
func Start(t testing.TB, cmd *exec.Cmd, ready *regexp.Regexp, wait time.Duration) []string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				found <- m
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case m := <-found:
		return m
	case <-time.After(wait):
		t.Fatalf("%s printed no line matching %q within %v", cmd.Path, ready, wait)
		return nil
	}
}
