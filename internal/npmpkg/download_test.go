package npmpkg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// useRegistry points the npm client at url, with an empty npm cache so no
// earlier answer can stand in for the registry.
func useRegistry(t *testing.T, url string) {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("these tests run the real npm client: install Node.js with npm")
	}
	t.Setenv("npm_config_registry", url)
	t.Setenv("npm_config_cache", t.TempDir())
}

func fetchOnce(t *testing.T, p Package) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return DownloadWithNPM(ctx, p, filepath.Join(t.TempDir(), "p.tgz"), nil)
}

var fake = Package{Name: "wsjs-fake", Version: "1.0.0", Integrity: "sha512-AAAA"}

func wantAll(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("fetch succeeded, want an error")
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q:\n%v", p, err)
		}
	}
}

func TestRefusedRegistryNamesTheReason(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	useRegistry(t, "http://"+addr+"/")
	wantAll(t, fetchOnce(t, fake), "ECONNREFUSED", addr, "npm config get registry")
}

func TestRegistryHTTPStatusIsReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	useRegistry(t, srv.URL+"/")
	wantAll(t, fetchOnce(t, fake), "503", "npm config get registry")
}

// TestBothDownloadsFailing: the registry lists the package, but its tarball is
// gone; the error gives the direct download's reason and npm pack's.
func TestBothDownloadsFailing(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tarball := srv.URL + "/wsjs-fake/-/wsjs-fake-1.0.0.tgz"
	mux.HandleFunc("/wsjs-fake", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"name":"wsjs-fake","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":`+
			`{"name":"wsjs-fake","version":"1.0.0","dist":{"tarball":%q,"integrity":%q}}}}`, tarball, fake.Integrity)
	})
	mux.HandleFunc("/wsjs-fake/-/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	})
	useRegistry(t, srv.URL+"/")
	wantAll(t, fetchOnce(t, fake), tarball, "410 Gone", "npm pack wsjs-fake@1.0.0", "E410")
}

func TestNPMReason(t *testing.T) {
	exit := errors.New("exit status 1")
	for _, c := range []struct {
		json, stderr, want string
	}{
		{`{"error":{"code":"ENOTFOUND","summary":"getaddrinfo ENOTFOUND registry.invalid"}}`, "", "ENOTFOUND getaddrinfo ENOTFOUND registry.invalid"},
		{"", "npm error code E503\nnpm error 503 Service Unavailable - GET x\nnpm error A complete log of this run can be found in: /x.log\n", "code E503; 503 Service Unavailable - GET x"},
		{"not json", "", "exit status 1"},
	} {
		if got := npmReason(exit, []byte(c.json), c.stderr); got != c.want {
			t.Errorf("npmReason(%q, %q) = %q, want %q", c.json, c.stderr, got, c.want)
		}
	}
}
