// Package project knows the repository's layout: where the sources are and where the
// build puts its outputs.
package project

import (
	"errors"
	"os"
	"path/filepath"
)

// Root finds the repository root (the folder holding magefile.go and go.mod) from the
// working directory upwards, so tests in any package can find the sources.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if exists(filepath.Join(dir, "go.mod")) && exists(filepath.Join(dir, "flash-src")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the web-socket-js repository (no go.mod beside flash-src/ above the working directory)")
		}
		dir = parent
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// Layout names the repository's folders, relative to a root.
type Layout struct{ Root string }

func (l Layout) FlashSrc() string { return filepath.Join(l.Root, "flash-src") }
func (l Layout) FlashAPI() string { return filepath.Join(l.Root, "flash-src", "api") }
func (l Layout) FlashApp() string { return filepath.Join(l.Root, "flash-src", "src") }
func (l Layout) JS() string       { return filepath.Join(l.Root, "js") }
func (l Layout) Dist() string     { return filepath.Join(l.Root, "dist") }
