// Package cache locates the kit's cache directory and serialises work in it across
// processes with lock files.
package cache

import (
	"os"
	"path/filepath"
)

// Dir is where fetched tools and compiled outputs are kept: $WSJS_CACHE_DIR when set,
// else <user cache dir>/web-socket-js (e.g. ~/.cache/web-socket-js on Linux).
func Dir() string {
	if d := os.Getenv("WSJS_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "web-socket-js")
	}
	return filepath.Join(os.TempDir(), "web-socket-js-cache")
}
