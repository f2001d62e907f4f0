package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
)

// member is one archive entry with its full path (top folder included).
type member struct {
	name string // "web-socket-js-1.0.0/bin/" for a directory
	mode fs.FileMode
	data []byte // nil for directories
}

func (m member) isDir() bool { return m.mode.IsDir() }

// gzipOSUnknown is the gzip header OS byte "unknown" (RFC 1952), written
// whatever machine builds the release.
const gzipOSUnknown = 255

// writeTarGz writes members, in the given order, as a reproducible tar.gz:
// fixed mtime, uid/gid 0, no user or group names, and a gzip header with no
// file name, no mtime and a fixed OS byte.
func writeTarGz(w io.Writer, members []member, mtime time.Time) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Header = gzip.Header{OS: gzipOSUnknown} // zero ModTime is written as 0 ("none")
	tw := tar.NewWriter(zw)
	for _, m := range members {
		h := &tar.Header{
			Name:    m.name,
			Mode:    int64(m.mode.Perm()),
			ModTime: mtime,
			// Format left unset: the writer picks USTAR whenever the
			// header fits it, which is a pure function of the header.
		}
		if m.isDir() {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(m.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("tar %s: %w", m.name, err)
		}
		if _, err := tw.Write(m.data); err != nil {
			return fmt.Errorf("tar %s: %w", m.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// writeZip writes members, in the given order, as a reproducible zip: MS-DOS
// times only (no extended-timestamp or other extra fields), Unix modes in
// the external attributes.
func writeZip(w io.Writer, members []member, mtime time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	date, clock := msDosTime(mtime)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		if m.isDir() {
			h.Method = zip.Store
		}
		// Setting h.Modified would make archive/zip add an extended
		// timestamp extra field; the legacy fields alone carry the time.
		//lint:ignore SA1019 the deprecated fields are the point (see above)
		h.ModifiedDate, h.ModifiedTime = date, clock
		h.SetMode(m.mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("zip %s: %w", m.name, err)
		}
		if _, err := fw.Write(m.data); err != nil {
			return fmt.Errorf("zip %s: %w", m.name, err)
		}
	}
	return zw.Close()
}

// msDosTime encodes t (in UTC) as MS-DOS date and time, clamped to the
// format's range 1980..2107. DOS time has two-second resolution.
func msDosTime(t time.Time) (date, clock uint16) {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if t.Year() > 2107 {
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	clock = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	return date, clock
}

// maxEntry bounds how much of one archive entry is read into memory when
// verifying; no legitimate entry comes close.
const maxEntry = 512 << 20

// readTarGz lists a tar.gz archive.
func readTarGz(data []byte) ([]member, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	var out []member
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		m := member{name: h.Name, mode: fs.FileMode(h.Mode).Perm()}
		switch h.Typeflag {
		case tar.TypeDir:
			m.mode |= fs.ModeDir
		case tar.TypeReg:
			if m.data, err = readLimited(tr, h.Name); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: unexpected tar entry type %q", h.Name, h.Typeflag)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			return nil, fmt.Errorf("%s: owner is %d:%d (%q:%q), want 0:0 with no names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		out = append(out, m)
	}
	return out, zr.Close()
}

// readZip lists a zip archive.
func readZip(data []byte) ([]member, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	var out []member
	for _, f := range zr.File {
		m := member{name: f.Name, mode: f.Mode()}
		if !m.isDir() {
			m.mode = m.mode.Perm()
			rc, err := f.Open()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			m.data, err = readLimited(rc, f.Name)
			rc.Close()
			if err != nil {
				return nil, err
			}
		} else {
			m.mode = fs.ModeDir | m.mode.Perm()
		}
		if len(f.Extra) != 0 {
			return nil, fmt.Errorf("%s: zip entry has extra fields", f.Name)
		}
		out = append(out, m)
	}
	return out, nil
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxEntry+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > maxEntry {
		return nil, fmt.Errorf("%s: entry larger than %d bytes", name, maxEntry)
	}
	return b, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// manifestText renders MANIFEST: a comment line, then one line per file
// (directories and MANIFEST itself excluded), sorted by path:
// "<sha256 hex>  <size in bytes>  <path relative to the top folder>".
func manifestText(version string, files []member, top string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s: sha256  size  path\n", Product, version)
	for _, m := range files {
		if m.isDir() {
			continue
		}
		fmt.Fprintf(&b, "%s  %d  %s\n", sha256Hex(m.data), len(m.data), strings.TrimPrefix(m.name, top))
	}
	return []byte(b.String())
}
