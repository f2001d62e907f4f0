package doctor

import (
	"testing"
	"time"
)

// SetMasterForTest points Main's look-up of port 843 at port (a loopback
// listener standing in for it) with wait, until the test ends.
func SetMasterForTest(t testing.TB, port int, wait time.Duration) {
	oldPort, oldWait := defaultMasterPort, DefaultMasterWait
	defaultMasterPort, DefaultMasterWait = port, wait
	t.Cleanup(func() { defaultMasterPort, DefaultMasterWait = oldPort, oldWait })
}
