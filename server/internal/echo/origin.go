package echo

import (
	"net/url"
	"path"
	"strings"
)

// OriginAllowed decides whether a WebSocket upgrade with the given Origin
// header may proceed on a server reached as host (the request's Host).
//
//   - No Origin header: allowed. Only browsers send one, and the check exists
//     to stop other sites' pages from using a visitor's browser.
//   - The page's own server (Origin host equals host): allowed.
//   - Otherwise the origin must match one of patterns, case-insensitively,
//     with path.Match syntax: "example.com", "*.example.com",
//     "https://example.com:8443" (with a scheme it is matched against
//     scheme://host[:port], without against host[:port]), or "null" for
//     pages with an opaque origin (file:, sandboxed frames).
func OriginAllowed(origin, host string, patterns []string) bool {
	if origin == "" {
		return true
	}
	if origin == "null" {
		for _, p := range patterns {
			if p == "null" {
				return true
			}
		}
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(target)); err == nil && ok {
			return true
		}
	}
	return false
}

// CheckOriginPatterns reports the first pattern that path.Match cannot use,
// so a bad -origins flag fails at start instead of silently never matching.
func CheckOriginPatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return &PatternError{Pattern: p, Err: err}
		}
	}
	return nil
}

// PatternError names a malformed origin pattern.
type PatternError struct {
	Pattern string
	Err     error
}

func (e *PatternError) Error() string { return "origin pattern " + e.Pattern + ": " + e.Err.Error() }

// SelectSubprotocol returns the first subprotocol the client offered (in its
// order, across all Sec-WebSocket-Protocol header lines) that is in
// configured, compared exactly (a browser fails the connection unless the
// reply equals a value it offered); "" when none is.
func SelectSubprotocol(offered []string, configured []string) string {
	for _, line := range offered {
		for _, tok := range strings.Split(line, ",") {
			tok = strings.TrimSpace(tok)
			if tok == "" {
				continue
			}
			for _, c := range configured {
				if tok == c {
					return tok
				}
			}
		}
	}
	return ""
}
