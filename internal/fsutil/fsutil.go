// Package fsutil writes build outputs safely: under a temporary name in the same folder,
// then renamed into place, so a reader (or a build that dies half-way) never sees a
// half-written file.
package fsutil

import (
	"bytes"
	"os"
	"path/filepath"
)

// WriteAtomic writes data to path with mode 0644, creating the folder if needed.
func WriteAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteIfChanged writes data to path atomically unless path already holds exactly data
// (so an unchanged build leaves files, and their times, alone). It reports whether it wrote.
func WriteIfChanged(path string, data []byte) (bool, error) {
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, data) {
		return false, nil
	}
	return true, WriteAtomic(path, data)
}

// CopyIfChanged copies src to dst with WriteIfChanged.
func CopyIfChanged(src, dst string) (bool, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return false, err
	}
	return WriteIfChanged(dst, data)
}
