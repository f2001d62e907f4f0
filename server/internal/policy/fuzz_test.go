package policy

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReadRequest: the reader accepts exactly the inputs that start with the
// request, never reads past it, and reports truncation and mismatch apart.
func FuzzReadRequest(f *testing.F) {
	f.Add([]byte(Request), false)
	f.Add([]byte("<policy-file-request/>"), true)
	f.Fuzz(func(t *testing.T, data []byte, slow bool) {
		src := bytes.NewReader(data)
		var r io.Reader = src
		if slow {
			r = oneByteReader{src}
		}
		err := ReadRequest(r)
		read := len(data) - src.Len()
		if read > len(Request) {
			t.Fatalf("read %d bytes", read)
		}
		switch {
		case bytes.HasPrefix(data, []byte(Request)):
			if err != nil {
				t.Fatalf("exact request refused: %v", err)
			}
		case bytes.HasPrefix([]byte(Request), data):
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("truncated request: got %v", err)
			}
		default:
			if !errors.Is(err, ErrNotRequest) {
				t.Fatalf("garbage: got %v", err)
			}
		}
	})
}

// safeAttr reports whether s can sit inside an XML attribute unescaped.
func safeAttr(s string) bool {
	return !strings.ContainsAny(s, "\"'<>&\x00\r\n\t ")
}

// FuzzParseDomains: whatever is accepted makes a policy whose attributes
// cannot be escaped from, and parsing is stable.
func FuzzParseDomains(f *testing.F) {
	f.Add("localhost,127.0.0.1")
	f.Fuzz(func(t *testing.T, s string) {
		ds, err := ParseDomains(s)
		if err != nil {
			return
		}
		for _, d := range ds {
			if !safeAttr(d) || d == "" {
				t.Fatalf("accepted unsafe domain %q", d)
			}
		}
		if _, err := XML(ds, []string{"1"}); err != nil {
			t.Fatalf("parsed domains %q rejected by XML: %v", ds, err)
		}
		again, err := ParseDomains(strings.Join(ds, ","))
		if err != nil || strings.Join(again, ",") != strings.Join(ds, ",") {
			t.Fatalf("reparse of %q gave %q, %v", ds, again, err)
		}
	})
}

// FuzzParsePorts: accepted ports are canonical, in range and stable.
func FuzzParsePorts(f *testing.F) {
	f.Add("843,10081,8000-8010")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePorts(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !safeAttr(p) || strings.Contains(p, ",") {
				t.Fatalf("accepted unsafe port %q", p)
			}
			if c, err := parsePort(p); err != nil || c != p {
				t.Fatalf("canonical port %q reparsed as %q, %v", p, c, err)
			}
		}
		if _, err := XML([]string{"a"}, ps); err != nil {
			t.Fatalf("parsed ports %q rejected by XML: %v", ps, err)
		}
	})
}
