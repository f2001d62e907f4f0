package swf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

func TestCompileRealEntryPoint(t *testing.T) {
	root, _ := project.Root()
	l := project.Layout{Root: root}
	out := swftest.Compile(t, filepath.Join(l.FlashApp(), "WebSocketMain.as"), l.FlashApp())
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("ZWS")) && !bytes.HasPrefix(b, []byte("CWS")) && !bytes.HasPrefix(b, []byte("FWS")) {
		t.Fatalf("not a SWF: % x", b[:8])
	}
}
