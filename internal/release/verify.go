package release

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Verify checks the release in dir, as a downloader would and more:
//
//   - every file listed in SHA256SUMS exists and has that sha256;
//   - SHA256SUMS lists exactly one web-socket-js-<version>.tar.gz and the
//     .zip of the same version;
//   - each archive has the single top folder web-socket-js-<version>/, its
//     entries in sorted order, owner 0:0 without names, no zip extra fields,
//     and exactly the paths and modes of Layout(platforms) (nil platforms:
//     DefaultPlatforms);
//   - MANIFEST inside lists every other file with its true size and sha256;
//   - the tar.gz and the zip hold the same files.
//
// All problems found are returned together.
func Verify(dir string, platforms []Platform) error {
	sums, err := readSums(filepath.Join(dir, SumsName))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var errs []error
	var tgz, zip []string
	for _, name := range sortedKeys(sums) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if got := sha256Hex(data); got != sums[name] {
			errs = append(errs, fmt.Errorf("%s: sha256 %s, SHA256SUMS says %s", name, got, sums[name]))
			continue
		}
		switch {
		case strings.HasSuffix(name, ".tar.gz"):
			tgz = append(tgz, name)
		case strings.HasSuffix(name, ".zip"):
			zip = append(zip, name)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("verify: %w", errors.Join(errs...))
	}
	if len(tgz) != 1 || len(zip) != 1 {
		return fmt.Errorf("verify: SHA256SUMS must list one .tar.gz and one .zip, has %v and %v", tgz, zip)
	}
	ver, ok := archiveVersion(tgz[0], ".tar.gz")
	if zv, zok := archiveVersion(zip[0], ".zip"); !ok || !zok || zv != ver {
		return fmt.Errorf("verify: archive names %s and %s are not %s-<version>.tar.gz/.zip of one version", tgz[0], zip[0], Product)
	}

	var lists [2][]member
	for i, name := range []string{tgz[0], zip[0]} {
		data, _ := os.ReadFile(filepath.Join(dir, name)) // read and checked above
		read := readTarGz
		if i == 1 {
			read = readZip
		}
		ms, err := read(data)
		if err == nil {
			err = checkArchive(ms, ver, platforms)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		lists[i] = ms
	}
	if len(errs) == 0 && !sameFiles(lists[0], lists[1]) {
		errs = append(errs, fmt.Errorf("%s and %s differ in content", tgz[0], zip[0]))
	}
	if len(errs) > 0 {
		return fmt.Errorf("verify: %w", errors.Join(errs...))
	}
	return nil
}

var sumLine = regexp.MustCompile(`^([0-9a-f]{64}) [ *]([^/\\]+)$`)

// readSums parses a sha256sum-format file of plain file names.
func readSums(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		m := sumLine.FindStringSubmatch(sc.Text())
		if m == nil {
			return nil, fmt.Errorf("%s:%d: not \"<sha256>  <file name>\": %q", path, n, sc.Text())
		}
		if _, dup := sums[m[2]]; dup {
			return nil, fmt.Errorf("%s:%d: %s listed twice", path, n, m[2])
		}
		sums[m[2]] = m[1]
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("%s lists no files", path)
	}
	return sums, sc.Err()
}

func archiveVersion(name, ext string) (string, bool) {
	v, ok := strings.CutPrefix(strings.TrimSuffix(name, ext), Product+"-")
	return v, ok && strings.HasSuffix(name, ext) && v != ""
}

// checkArchive compares one archive's listing with the documented layout and
// its MANIFEST.
func checkArchive(ms []member, ver string, platforms []Platform) error {
	top := TopDir(ver)
	var errs []error
	if len(ms) == 0 || ms[0].name != top || !ms[0].isDir() {
		return fmt.Errorf("first entry is not the top folder %s", top)
	}
	got := map[string]member{}
	for i, m := range ms[1:] {
		rel, ok := strings.CutPrefix(m.name, top)
		if !ok || rel == "" {
			errs = append(errs, fmt.Errorf("entry %q is outside %s", m.name, top))
			continue
		}
		if i > 0 && ms[i].name >= m.name {
			errs = append(errs, fmt.Errorf("entries not sorted: %q after %q", m.name, ms[i].name))
		}
		if _, dup := got[rel]; dup {
			errs = append(errs, fmt.Errorf("duplicate entry %q", rel))
		}
		got[rel] = m
	}
	if ms[0].mode != os.ModeDir|0o755 {
		errs = append(errs, fmt.Errorf("%s has mode %v, want drwxr-xr-x", top, ms[0].mode))
	}
	for _, e := range Layout(platforms) {
		m, ok := got[e.Path]
		if !ok {
			errs = append(errs, fmt.Errorf("missing %s", e.Path))
			continue
		}
		delete(got, e.Path)
		if m.mode != e.Mode {
			errs = append(errs, fmt.Errorf("%s has mode %v, want %v", e.Path, m.mode, e.Mode))
		}
	}
	for _, rel := range sortedKeys(got) {
		errs = append(errs, fmt.Errorf("unexpected entry %s (not in the documented layout)", rel))
	}
	if err := checkManifest(ms, top); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkManifest checks that MANIFEST lists exactly the archive's other
// files, with their sizes and hashes.
func checkManifest(ms []member, top string) error {
	var manifest []byte
	files := map[string]member{}
	for _, m := range ms {
		switch {
		case m.isDir():
		case m.name == top+ManifestName:
			manifest = m.data
		default:
			files[strings.TrimPrefix(m.name, top)] = m
		}
	}
	if manifest == nil {
		return errors.New("no MANIFEST")
	}
	var errs []error
	listed := map[string]bool{}
	for n, line := range strings.Split(strings.TrimSuffix(string(manifest), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "  ", 3)
		if len(f) != 3 {
			errs = append(errs, fmt.Errorf("MANIFEST line %d malformed: %q", n+1, line))
			continue
		}
		sum, size, path := f[0], f[1], f[2]
		listed[path] = true
		m, ok := files[path]
		if !ok {
			errs = append(errs, fmt.Errorf("MANIFEST lists %s, which the archive lacks", path))
			continue
		}
		if size != strconv.Itoa(len(m.data)) {
			errs = append(errs, fmt.Errorf("%s: %d bytes, MANIFEST says %s", path, len(m.data), size))
		}
		if got := sha256Hex(m.data); got != sum {
			errs = append(errs, fmt.Errorf("%s: sha256 %s, MANIFEST says %s", path, got, sum))
		}
	}
	for _, path := range sortedKeys(files) {
		if !listed[path] {
			errs = append(errs, fmt.Errorf("%s is not in MANIFEST", path))
		}
	}
	return errors.Join(errs...)
}

// sameFiles reports whether two listings have the same entries, modes and
// contents.
func sameFiles(a, b []member) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name || a[i].mode != b[i].mode || !bytes.Equal(a[i].data, b[i].data) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
