package browser

import (
	"path/filepath"
	"testing"
	"time"
)

// OpenSWF serves the SWF at swfPath on a fresh site, opens a page that embeds it as the
// element with the given id, and waits for the SWF's first call to the page. Every
// SWF→page bridge call is recorded in window.calls as [kind, arg].
func (b *Browser) OpenSWF(t testing.TB, swfPath, id string) *Page {
	t.Helper()
	name := "/" + filepath.Base(swfPath)
	site := NewSite(t)
	site.File(name, swfPath)
	site.HTML("/", `<!doctype html><html><head>`+RuffleHead()+`
<script>window.calls = []; function recordBridge(kind, arg) { window.calls.push([kind, arg]); }</script>
</head><body>`+EmbedSWF(id, name, "bridge=recordBridge")+`</body></html>`)
	page := b.Open(t, site.URL+"/")
	page.WaitFor(t, `window.calls.length > 0`, 30*time.Second)
	return page
}
