package build

import (
	"bytes"
	"os"
	"path/filepath"
)

// copyIfChanged copies src to dst (temp name + rename) unless dst has the same bytes.
func copyIfChanged(src, dst string) (bool, error) {
	want, err := os.ReadFile(src)
	if err != nil {
		return false, err
	}
	if have, err := os.ReadFile(dst); err == nil && bytes.Equal(have, want) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, want, 0o644); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, dst)
}
