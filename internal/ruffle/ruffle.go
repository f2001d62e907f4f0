// Package ruffle provides the pinned Ruffle Flash emulator the browser tests and the
// try-it page run the SWF in.
package ruffle

import (
	"context"
	"path/filepath"

	"github.com/web-socket-js/web-socket-js/internal/npmpkg"
)

// Package is the pinned Ruffle web build.
var Package = npmpkg.Package{
	Name:      "@ruffle-rs/ruffle",
	Version:   "0.6.0",
	Integrity: "sha512-P2X1zDENBoiLt2ZjPcsUzaDxoR7fVF2e1U/bi7hbIAQEjkykxljSoG8AgbywHvlVVzL9Y5tIZMRqDwIm31jgPA==",
	Keep:      []string{"package"},
}

// Dir returns the folder holding ruffle.js and its wasm files, fetching them once.
func Dir(ctx context.Context) (string, error) {
	dir, err := npmpkg.Ensure(ctx, Package)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "package"), nil
}
