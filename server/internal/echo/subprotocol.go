package echo

import "strings"

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
