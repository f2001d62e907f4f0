package release

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyRelease copies a release's SHA256SUMS and archives into a new dir so a
// test can damage them.
func copyRelease(t *testing.T, f fixture) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{f.res.TarGz.Path, f.res.Zip.Path, f.res.Sums} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The real sha256sum accepts SHA256SUMS in the output dir.
func TestSha256sumCheckPasses(t *testing.T) {
	f := sharedRelease(t)
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum (coreutils) not installed; Verify checks the same sums in TestVerify")
	}
	cmd := exec.Command("sha256sum", "--strict", "-c", SumsName)
	cmd.Dir = f.out
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	tgz, zip := ArchiveNames(f.opts.Version)
	if want := tgz + ": OK\n" + zip + ": OK\n"; string(out) != want {
		t.Errorf("sha256sum -c said %q, want %q", out, want)
	}
}

func TestVerifyAcceptsTheRelease(t *testing.T) {
	f := sharedRelease(t)
	if err := Verify(f.out, testPlatforms); err != nil {
		t.Fatalf("Verify of a fresh release: %v", err)
	}
	// The documented default layout has five more binaries than this
	// one-platform test release: Verify must notice.
	err := Verify(f.out, nil)
	if err == nil || !strings.Contains(err.Error(), "missing bin/web-socket-js-server-windows-arm64.exe") {
		t.Errorf("Verify against the six-platform layout: %v, want missing binaries", err)
	}
}

// Tampering with an archive is caught: by SHA256SUMS, and when the sums
// are forged too, by the MANIFEST and layout checks inside.
func TestVerifyDetectsTampering(t *testing.T) {
	f := sharedRelease(t)
	tgz, zip := ArchiveNames(f.opts.Version)
	top := TopDir(f.opts.Version)
	mtime := time.Unix(testEpoch, 0).UTC()

	// rewrite replaces the tar.gz by one with members changed by edit and,
	// if forge, rewrites SHA256SUMS to match.
	rewrite := func(t *testing.T, dir string, forge bool, edit func([]member) []member) {
		t.Helper()
		ms := edit(readMembers(t, filepath.Join(dir, tgz)))
		var b bytes.Buffer
		if err := writeTarGz(&b, ms, mtime); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, tgz), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if forge {
			zipData, err := os.ReadFile(filepath.Join(dir, zip))
			if err != nil {
				t.Fatal(err)
			}
			sums := sha256Hex(b.Bytes()) + "  " + tgz + "\n" + sha256Hex(zipData) + "  " + zip + "\n"
			if err := os.WriteFile(filepath.Join(dir, SumsName), []byte(sums), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	changeJS := func(ms []member) []member {
		for i := range ms {
			if ms[i].name == top+"web_socket.js" {
				ms[i].data = append([]byte("evil();"), ms[i].data...)
			}
		}
		return ms
	}

	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   []string
	}{
		{"one flipped byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, tgz)
			data, _ := os.ReadFile(p)
			data[len(data)/2] ^= 1
			os.WriteFile(p, data, 0o644)
		}, []string{tgz + ": sha256"}},
		{"changed file, sums not updated", func(t *testing.T, dir string) {
			rewrite(t, dir, false, changeJS)
		}, []string{tgz + ": sha256"}},
		{"changed file, sums forged", func(t *testing.T, dir string) {
			rewrite(t, dir, true, changeJS)
		}, []string{"web_socket.js: sha256", "MANIFEST says"}},
		{"extra file, sums forged", func(t *testing.T, dir string) {
			rewrite(t, dir, true, func(ms []member) []member {
				return append(ms, member{name: top + "zz-extra.js", mode: 0o644, data: []byte("x")})
			})
		}, []string{"unexpected entry zz-extra.js", "zz-extra.js is not in MANIFEST"}},
		{"binary made non-executable, sums forged", func(t *testing.T, dir string) {
			rewrite(t, dir, true, func(ms []member) []member {
				for i := range ms {
					if strings.HasPrefix(ms[i].name, top+"bin/") && !ms[i].isDir() {
						ms[i].mode = 0o644
					}
				}
				return ms
			})
		}, []string{"bin/web-socket-js-server-linux-amd64 has mode -rw-r--r--, want -rwxr-xr-x"}},
		{"zip missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, zip))
		}, []string{zip}},
		{"sums file malformed", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, SumsName), []byte("not a sum line\n"), 0o644)
		}, []string{"not \"<sha256>  <file name>\""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyRelease(t, f)
			if err := Verify(dir, testPlatforms); err != nil {
				t.Fatalf("untouched copy fails: %v", err)
			}
			tc.damage(t, dir)
			err := Verify(dir, testPlatforms)
			if err == nil {
				t.Fatal("Verify accepted a damaged release")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}

	// sha256sum agrees that a flipped byte is a failure.
	if _, err := exec.LookPath("sha256sum"); err == nil {
		dir := copyRelease(t, f)
		cases[0].damage(t, dir)
		cmd := exec.Command("sha256sum", "-c", SumsName)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("sha256sum -c accepted a damaged archive:\n%s", out)
		}
	}
}
