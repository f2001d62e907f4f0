package doctor

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

const (
	ruleTLS = "Adobe, ActionScript 3.0 Reference, flash.net.SecureSocket: the player accepts the server only with a " +
		"certificate that is current, chains to a root it trusts and is issued for the host name connected to"
	ruleOrigin = "RFC 6455 §4.2.2 and §10.2: a server may refuse a handshake whose Origin it does not accept, " +
		"with an HTTP error such as 403"
	ruleHandshake = "RFC 6455 §4.1: the client fails the connection unless the answer is HTTP/1.1 101 with " +
		"Upgrade: websocket, Connection: Upgrade and the Sec-WebSocket-Accept computed from its key, and names only " +
		"a subprotocol and no extension it did not offer (WebSocketMain.swf checks exactly this)"
)

func (t *target) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: t.host, RootCAs: t.o.RootCAs, NextProtos: []string{"http/1.1"}}
}

// checkTLS connects with TLS and checks the certificate as the player would.
func checkTLS(ctx context.Context, t *target, r *Report) bool {
	addr := net.JoinHostPort(t.host, fmt.Sprint(t.port))
	s := r.add(Step{Name: "TLS certificate of " + addr, Rule: ruleTLS})
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: t.o.timeout()}, Config: t.tlsConfig()}
	ctx, cancel := context.WithTimeout(ctx, t.o.timeout())
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		s.Status = StatusFail
		s.Detail, s.Fix = explainTLS(t.host, err)
		return false
	}
	defer c.Close()
	st := c.(*tls.Conn).ConnectionState()
	leaf := st.PeerCertificates[0]
	s.Status = StatusOK
	s.Detail = fmt.Sprintf("valid for %s (certificate names %s; chain of %d, issued by %q, expires %s)",
		t.host, strings.Join(certNames(leaf), ", "), len(st.PeerCertificates), leaf.Issuer.String(), leaf.NotAfter.Format(time.DateOnly))
	return true
}

func certNames(c *x509.Certificate) []string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName+" (common name only)")
	}
	return names
}

// explainTLS turns a TLS dial error into the problem and its fix.
func explainTLS(host string, err error) (string, string) {
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &hostErr):
		return fmt.Sprintf("the certificate is for %s, not for %s", strings.Join(certNames(hostErr.Certificate), ", "), host),
			fmt.Sprintf("serve a certificate issued for %s, or use a wss:// URL with a name the certificate has", host)
	case errors.As(err, &authErr):
		return "the certificate chain does not lead to a trusted root (self-signed, or an intermediate certificate is missing): " + err.Error(),
			"serve the full chain (the certificate, then its intermediates) from a CA the visitors' systems trust"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the certificate has expired or is not yet valid: " + err.Error(), "renew the certificate"
	case errors.As(err, &invalid):
		return "the certificate is not valid: " + err.Error(), "serve a certificate valid for TLS server use"
	case errors.As(err, &record):
		return "the server answered in plain text, not TLS", "use a ws:// URL for this port, or serve TLS on it"
	case isTimeout(err):
		return "no TLS answer in time: " + err.Error(), "check that the server speaks TLS on this port"
	}
	return "TLS failed: " + err.Error(), "check the server's TLS setup"
}

// checkHandshake opens the WebSocket as WebSocketMain.swf does: the page's
// origin in Origin, the page's subprotocols, no extensions. It returns the
// open connection (nil on failure) for the echo step.
func checkHandshake(ctx context.Context, t *target, r *Report, tlsOK bool) *websocket.Conn {
	s := r.add(Step{Name: "WebSocket handshake, Origin: " + t.origin, Rule: ruleHandshake})
	if !tlsOK {
		s.Status, s.Detail = StatusSkip, "not tried: TLS failed"
		return nil
	}
	d := websocket.Dialer{
		HandshakeTimeout: t.o.timeout(),
		Subprotocols:     t.o.Protocols,
		TLSClientConfig:  t.tlsConfig(),
	}
	hdr := http.Header{"Origin": {t.origin}}
	ctx, cancel := context.WithTimeout(ctx, t.o.timeout())
	defer cancel()
	conn, resp, err := d.DialContext(ctx, t.u.String(), hdr)
	if err != nil {
		s.Status = StatusFail
		explainHandshake(t, s, resp, err)
		return nil
	}
	if problem := checkNegotiation(t.o.Protocols, resp); problem != "" {
		conn.Close()
		s.Status, s.Detail, s.Fix = StatusFail, problem, "make the server answer only with what the client offered"
		return nil
	}
	s.Status = StatusOK
	s.Detail = "101 Switching Protocols, Sec-WebSocket-Accept matches the key"
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		s.Detail += ", subprotocol " + p
	} else if len(t.o.Protocols) > 0 {
		s.Status = StatusWarn
		s.Detail += fmt.Sprintf(", but the server selected none of the subprotocols offered (%s); the socket opens with protocol \"\"", strings.Join(t.o.Protocols, ", "))
		s.Fix = "configure the server with one of these subprotocols if the page needs one"
	}
	return conn
}

// checkNegotiation checks what the library leaves to its caller.
func checkNegotiation(offered []string, resp *http.Response) string {
	if resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
		return fmt.Sprintf("the server answered with %s, not HTTP/1.1", resp.Proto)
	}
	if ext := strings.TrimSpace(strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ",")); ext != "" {
		return fmt.Sprintf("the server selected extension(s) %q that the client did not offer", ext)
	}
	protos := resp.Header.Values("Sec-WebSocket-Protocol")
	if len(protos) > 1 {
		return "the answer repeats Sec-WebSocket-Protocol"
	}
	if len(protos) == 1 {
		for _, o := range offered {
			if o == protos[0] {
				return ""
			}
		}
		return fmt.Sprintf("the server selected subprotocol %q, which the client did not offer", protos[0])
	}
	return ""
}

func explainHandshake(t *target, s *Step, resp *http.Response, err error) {
	if resp == nil {
		s.Detail, s.Fix = fmt.Sprintf("could not open the WebSocket: %v", err), "check that a WebSocket server listens at "+t.u.String()
		return
	}
	switch {
	case resp.StatusCode == http.StatusForbidden:
		s.Rule = ruleOrigin
		s.Detail = fmt.Sprintf("Origin refused: the server answered 403 Forbidden to a page at %s", t.origin)
		s.Fix = fmt.Sprintf("allow the origin %s in the WebSocket server (this project's server: -origins %s)", t.origin, strings.TrimPrefix(strings.TrimPrefix(t.origin, "https://"), "http://"))
	case resp.StatusCode != http.StatusSwitchingProtocols:
		s.Detail = fmt.Sprintf("the server answered %s instead of 101 Switching Protocols", resp.Status)
		s.Fix = "check the URL's path; the server must accept a WebSocket upgrade there"
		if resp.StatusCode == http.StatusNotFound {
			s.Fix = "no WebSocket endpoint at " + t.u.Path + ": check the URL's path"
		}
	case !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"):
		s.Detail, s.Fix = "the 101 answer lacks 'Upgrade: websocket'", "send 'Upgrade: websocket' in the 101 answer"
	case !headerHasToken(resp.Header, "Connection", "upgrade"):
		s.Detail, s.Fix = "the 101 answer lacks 'Connection: Upgrade'", "send 'Connection: Upgrade' in the 101 answer"
	case !acceptMatches(resp):
		s.Detail = "the 101 answer's Sec-WebSocket-Accept is missing or does not match the key sent"
		s.Fix = "compute Sec-WebSocket-Accept as base64(SHA-1(key + " + websocketGUID + ")) (RFC 6455 §4.2.2)"
	default:
		s.Detail = checkNegotiation(t.o.Protocols, resp)
		if s.Detail == "" {
			s.Detail = fmt.Sprintf("the 101 answer was refused: %v", err)
		}
		s.Fix = "make the server answer only with what the client offered"
	}
}

// websocketGUID is RFC 6455's constant for Sec-WebSocket-Accept.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptMatches checks Sec-WebSocket-Accept against the key the library sent.
func acceptMatches(resp *http.Response) bool {
	if resp.Request == nil {
		return false
	}
	// The library sets the header under its RFC spelling, which is not
	// net/http's canonical form, so Get would not find it.
	key := resp.Request.Header.Get("Sec-WebSocket-Key")
	if v := resp.Request.Header["Sec-WebSocket-Key"]; len(v) > 0 {
		key = v[0]
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	return resp.Header.Get("Sec-WebSocket-Accept") == base64.StdEncoding.EncodeToString(sum[:])
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), token) {
				return true
			}
		}
	}
	return false
}

// checkEcho sends a text and a binary message and expects both back.
func checkEcho(t *target, r *Report, conn *websocket.Conn) {
	s := r.add(Step{Name: "echo: one text and one binary message"})
	if conn == nil {
		s.Status, s.Detail = StatusSkip, "not tried: the WebSocket did not open"
		return
	}
	text := []byte("web-socket-js doctor ☃ " + time.Now().UTC().Format(time.RFC3339Nano))
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	conn.SetReadDeadline(time.Now().Add(t.o.timeout()))
	conn.SetWriteDeadline(time.Now().Add(t.o.timeout()))
	for _, m := range []struct {
		kind int
		data []byte
		name string
	}{{websocket.TextMessage, text, "text"}, {websocket.BinaryMessage, binary, "binary"}} {
		if err := conn.WriteMessage(m.kind, m.data); err != nil {
			s.Status, s.Detail = StatusFail, fmt.Sprintf("sending the %s message failed: %v", m.name, err)
			return
		}
		kind, got, err := conn.ReadMessage()
		if err != nil {
			s.Status, s.Detail = StatusFail, fmt.Sprintf("no %s echo: %v", m.name, err)
			s.Fix = "the server must send each message back (or use -echo only against an echo server)"
			return
		}
		if kind != m.kind || !bytes.Equal(got, m.data) {
			s.Status, s.Detail = StatusFail, fmt.Sprintf("the %s message came back different (%d bytes, type %d)", m.name, len(got), kind)
			return
		}
	}
	conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	s.Status, s.Detail = StatusOK, fmt.Sprintf("a %d-byte text and a 256-byte binary message came back unchanged", len(text))
}
