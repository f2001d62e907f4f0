package flashsrc_test

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// peer is the server side of the end-to-end tests, written by hand on a raw TCP listener so
// that it can break the protocol on purpose. The request path picks the behaviour; the
// query parameter "k" names the connection in the peer's notes (what it saw the client do).
type peer struct {
	t     *testing.T
	ln    net.Listener
	mu    sync.Mutex
	notes map[string][]string
	wg    sync.WaitGroup
}

func startPeer(t *testing.T) *peer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, ln: ln, notes: map[string][]string{}}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *peer) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *peer) note(k, s string) {
	p.mu.Lock()
	p.notes[k] = append(p.notes[k], s)
	p.mu.Unlock()
}

// notesFor waits (bounded) until connection k has at least n notes and returns them.
func (p *peer) notesFor(k string, n int, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		got := append([]string(nil), p.notes[k]...)
		p.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

type frame struct {
	b0      byte // FIN, RSV and opcode as sent
	masked  bool
	mask    [4]byte
	payload []byte
}

func (f frame) op() byte { return f.b0 & 0x0F }

// readFrame reads one client frame and unmasks it.
func readFrame(r *bufio.Reader) (frame, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return frame{}, err
	}
	f := frame{b0: h[0], masked: h[1]&0x80 != 0}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 64<<20 {
		return f, fmt.Errorf("client frame of %d bytes", n)
	}
	if f.masked {
		if _, err := io.ReadFull(r, f.mask[:]); err != nil {
			return f, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return f, err
	}
	if f.masked {
		for i := range f.payload {
			f.payload[i] ^= f.mask[i&3]
		}
	}
	return f, nil
}

// frameBytes builds a server frame with header byte b0 exactly as given; mask adds a key.
func frameBytes(b0 byte, payload []byte, mask bool) []byte {
	out := []byte{b0}
	mbit := byte(0)
	if mask {
		mbit = 0x80
	}
	n := len(payload)
	switch {
	case n < 126:
		out = append(out, mbit|byte(n))
	case n < 65536:
		out = append(out, mbit|126, byte(n>>8), byte(n))
	default:
		out = append(out, mbit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if mask {
		key := []byte{1, 2, 3, 4}
		out = append(out, key...)
		m := make([]byte, n)
		for i := range payload {
			m[i] = payload[i] ^ key[i&3]
		}
		payload = m
	}
	return append(out, payload...)
}

func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

func describeClose(f frame) string {
	if f.op() != 8 {
		return fmt.Sprintf("frame op %d", f.op())
	}
	if len(f.payload) < 2 {
		return "close"
	}
	return fmt.Sprintf("close %d %s", binary.BigEndian.Uint16(f.payload), f.payload[2:])
}

const okResponse = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n"

func (p *peer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		p.t.Logf("peer: bad request: %v", err)
		return
	}
	k := req.URL.Query().Get("k")
	accept := acceptKey(req.Header.Get("Sec-WebSocket-Key"))
	hello := func(extra string) { fmt.Fprintf(c, okResponse, accept, extra) }
	send := func(b ...[]byte) {
		for _, x := range b {
			c.Write(x)
		}
	}
	// expectClose records the client's answer to a violation or a server close.
	expectClose := func() {
		f, err := readFrame(br)
		if err != nil {
			p.note(k, "no close frame: "+err.Error())
			return
		}
		if !f.masked {
			p.note(k, "unmasked client frame")
		}
		p.note(k, describeClose(f))
	}
	switch path := req.URL.Path; path {
	case "/echo":
		hello("")
		p.echo(k, br, c)
	case "/headers":
		// Reports the request as the first message, then echoes.
		if req.Header.Get("Sec-WebSocket-Protocol") != "" {
			offered := strings.Split(req.Header.Get("Sec-WebSocket-Protocol"), ", ")
			hello("Sec-WebSocket-Protocol: " + offered[len(offered)-1] + "\r\n")
		} else {
			hello("")
		}
		key, _ := base64.StdEncoding.DecodeString(req.Header.Get("Sec-WebSocket-Key"))
		info := map[string]any{"requestURI": req.RequestURI, "host": req.Host, "proto": req.Proto, "method": req.Method,
			"keyBytes": len(key), "header": req.Header}
		b, _ := json.Marshal(info)
		send(frameBytes(0x81, b, false))
		p.echo(k, br, c)
	case "/fragmented":
		hello("")
		send(frameBytes(0x01, []byte("frag"), false), frameBytes(0x89, []byte("mid"), false),
			frameBytes(0x00, []byte("mented "), false), frameBytes(0x80, []byte("\u2603"), false))
		f, err := readFrame(br)
		if err == nil {
			p.note(k, fmt.Sprintf("op %d %q masked=%v", f.op(), f.payload, f.masked))
		}
		p.echo(k, br, c)
	case "/ping":
		hello("")
		send(frameBytes(0x89, []byte("are you there?"), false))
		f, err := readFrame(br)
		if err != nil {
			p.note(k, "no pong: "+err.Error())
			return
		}
		p.note(k, fmt.Sprintf("op %d %q masked=%v", f.op(), f.payload, f.masked))
		send(frameBytes(0x81, []byte("pong received"), false))
		p.echo(k, br, c)
	case "/server-close":
		hello("")
		send(frameBytes(0x88, closePayload(4001, "bye \u2603"), false))
		expectClose()
		// The server closes TCP first (RFC 6455 section 7.1.1).
	case "/server-close-empty":
		hello("")
		send(frameBytes(0x88, nil, false))
		expectClose()
	case "/abrupt":
		hello("")
		send(frameBytes(0x81, []byte("last words"), false))
		time.Sleep(100 * time.Millisecond)
	case "/ignore-close":
		// Answers nothing after the handshake and keeps TCP open: the client's close times out.
		hello("")
		f, err := readFrame(br)
		if err == nil {
			p.note(k, describeClose(f))
		}
		io.Copy(io.Discard, br)
	case "/late-message":
		// After the client's close frame, one more message, then the close answer: the page
		// must not see the message (it called close()).
		hello("")
		f, err := readFrame(br)
		if err == nil {
			p.note(k, describeClose(f))
		}
		send(frameBytes(0x81, []byte("too late"), false), frameBytes(0x88, f.payload, false))
	case "/drop-on-close":
		// Drops TCP instead of answering the client's close frame.
		hello("")
		if f, err := readFrame(br); err == nil {
			p.note(k, describeClose(f))
		}
	case "/hang":
		io.Copy(io.Discard, br)
	case "/split-response":
		// The 101 response arrives in pieces, with the first frame in the same write as its end.
		resp := fmt.Sprintf(okResponse, accept, "")
		for i := 0; i < len(resp)-1; i += 7 {
			end := min(i+7, len(resp)-1)
			send([]byte(resp[i:end]))
			time.Sleep(5 * time.Millisecond)
		}
		send(append([]byte(resp[len(resp)-1:]), frameBytes(0x81, []byte("right after the handshake"), false)...))
		p.echo(k, br, c)
	default:
		if strings.HasPrefix(path, "/hs/") {
			p.badHandshake(path[4:], accept, c)
			return
		}
		if strings.HasPrefix(path, "/v/") {
			hello("")
			v, ok := violations[path[3:]]
			if !ok {
				p.t.Errorf("peer: no violation %q", path)
				return
			}
			send(v.frames...)
			expectClose()
			return
		}
		p.t.Errorf("peer: unknown path %q", path)
	}
}

// echo answers text and binary with the same message, ping with pong, and close with close.
func (p *peer) echo(k string, br *bufio.Reader, c net.Conn) {
	masks := map[[4]byte]bool{}
	for {
		f, err := readFrame(br)
		if err != nil {
			return
		}
		if !f.masked {
			p.note(k, "unmasked client frame")
		}
		// Each frame needs a fresh key from a strong source: a repeat among a few frames
		// would mean a fixed or weak key.
		if masks[f.mask] {
			p.note(k, fmt.Sprintf("mask key %x used twice", f.mask))
		}
		masks[f.mask] = true
		if f.b0&0x80 == 0 || f.b0&0x70 != 0 {
			p.note(k, fmt.Sprintf("unexpected header byte %#x", f.b0))
		}
		switch f.op() {
		case 1, 2:
			c.Write(frameBytes(0x80|f.op(), f.payload, false))
		case 9:
			c.Write(frameBytes(0x8A, f.payload, false))
		case 8:
			p.note(k, describeClose(f))
			c.Write(frameBytes(0x88, f.payload, false))
			return
		}
	}
}

func (p *peer) badHandshake(kind, accept string, c net.Conn) {
	var resp string
	switch kind {
	case "accept":
		resp = fmt.Sprintf(okResponse, acceptKey("not the key"), "")
	case "upgrade":
		resp = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n"
	case "connection":
		resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n"
	case "protocol":
		resp = fmt.Sprintf(okResponse, accept, "Sec-WebSocket-Protocol: never-offered\r\n")
	case "extension":
		resp = fmt.Sprintf(okResponse, accept, "Sec-WebSocket-Extensions: permessage-deflate\r\n")
	case "status":
		resp = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
	case "huge":
		resp = "HTTP/1.1 101 Switching Protocols\r\nX-Pad: " + strings.Repeat("a", 20000) + "\r\n\r\n"
	default:
		p.t.Errorf("peer: no bad handshake %q", kind)
		return
	}
	c.Write([]byte(resp))
	// Keep the connection open: the client must close it on its own.
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, c)
}

type violation struct {
	frames [][]byte
	code   int // close code the client must send and report
}

var violations = map[string]violation{
	"masked":       {[][]byte{frameBytes(0x81, []byte("hidden"), true)}, 1002},
	"rsv1":         {[][]byte{frameBytes(0xC1, []byte("x"), false)}, 1002},
	"rsv3":         {[][]byte{frameBytes(0x91, []byte("x"), false)}, 1002},
	"opcode3":      {[][]byte{frameBytes(0x83, nil, false)}, 1002},
	"opcode11":     {[][]byte{frameBytes(0x8B, nil, false)}, 1002},
	"fragping":     {[][]byte{frameBytes(0x09, []byte("p"), false)}, 1002},
	"bigping":      {[][]byte{frameBytes(0x89, make([]byte, 126), false)}, 1002},
	"continuation": {[][]byte{frameBytes(0x80, []byte("orphan"), false)}, 1002},
	"interleaved":  {[][]byte{frameBytes(0x01, []byte("a"), false), frameBytes(0x81, []byte("b"), false)}, 1002},
	"badutf8":      {[][]byte{frameBytes(0x81, []byte{'o', 'k', 0xC3, 0x28}, false)}, 1007},
	"surrogate":    {[][]byte{frameBytes(0x81, []byte{0xED, 0xA0, 0x80}, false)}, 1007},
	"badreason":    {[][]byte{frameBytes(0x88, append(closePayload(1000, ""), 0xFF), false)}, 1007},
	"badcode":      {[][]byte{frameBytes(0x88, closePayload(1005, ""), false)}, 1002},
	"code999":      {[][]byte{frameBytes(0x88, closePayload(999, ""), false)}, 1002},
	"close1byte":   {[][]byte{frameBytes(0x88, []byte{3}, false)}, 1002},
	// A header announcing more than the limit (set to 2 MiB by the test) fails at once.
	"toobig": {[][]byte{{0x82, 127, 0, 0, 0, 0, 0, 0x30, 0, 0}}, 1009},
	// So does a fragmented message whose parts add up to more than the limit.
	"toobigfragments": {[][]byte{frameBytes(0x02, make([]byte, 1<<20), false), frameBytes(0x00, make([]byte, 1<<20), false),
		frameBytes(0x80, make([]byte, 1024), false)}, 1009},
}
