package flashsrc_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

// The release SWFs must stay small: the original WebSocketMain.swf was 177,238 bytes, most of
// it TLS written in AS3; ours leaves TLS to the player. Budget: 20 KB.
const sizeBudget = 20 * 1024

func TestReleaseSWFSize(t *testing.T) {
	l := layout(t)
	for _, entry := range []string{"WebSocketMain.as", "WebSocketMainInsecure.as"} {
		out := swftest.Compile(t, filepath.Join(l.FlashApp(), entry), l.FlashApp())
		fi, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s (release: -debug=false -optimize=true): %d bytes (original WebSocketMain.swf: 177,238 bytes)", filepath.Base(out), fi.Size())
		if fi.Size() > sizeBudget {
			t.Errorf("%s is %d bytes, over the %d-byte budget", filepath.Base(out), fi.Size(), sizeBudget)
		}
	}
}
