package npmpkg

import (
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"os"
)

// VerifyFile checks a file against an npm integrity string ("sha512-<base64>").
func VerifyFile(path, integrity string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	got := "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil))
	if got != integrity {
		return fmt.Errorf("integrity mismatch: pinned %s, downloaded file has %s", integrity, got)
	}
	return nil
}
