package echo

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// leanBufSize is the read and write buffer of an upgraded connection.
// net/http hands a hijacker its 4 KiB reader and writer; most of an idle
// connection's memory would be those two buffers. Small messages fit in
// 1 KiB, and bufio reads and writes larger payloads straight through, so a
// smaller buffer costs no extra system calls where it matters.
const leanBufSize = 1024

// leanWriter wraps a ResponseWriter so that the WebSocket library's Hijack
// gets small buffers instead of net/http's. It keeps the connection and the
// read buffer it hands over, for the echo loop's readiness wait.
type leanWriter struct {
	http.ResponseWriter
	conn  net.Conn
	br    *bufio.Reader
	early []byte // bytes the client sent right behind its handshake, if any
}

func (w *leanWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The response is already flushed. The old reader may hold frames the
	// client sent right behind its handshake; they must be read first, so
	// they are moved into the new reader's buffer (the WebSocket library
	// keeps what is buffered but replaces the reader's source).
	n := brw.Reader.Buffered()
	var src io.Reader = conn
	if n > 0 {
		early, _ := brw.Reader.Peek(n)
		w.early = bytes.Clone(early)
		src = io.MultiReader(bytes.NewReader(w.early), conn)
	}
	br := bufio.NewReaderSize(src, max(leanBufSize, n))
	if _, err := br.Peek(n); err != nil {
		conn.Close()
		return nil, nil, err
	}
	w.conn, w.br = conn, br
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, leanBufSize)), nil
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *leanWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// earlyReader is the read buffer's source when the client sent bytes right
// behind its handshake: those bytes, then the connection. Unlike the
// library's own reader for this, it tells the readiness wait that bytes are
// still pending.
type earlyReader struct {
	early []byte
	conn  net.Conn
}

func (r *earlyReader) Read(p []byte) (int, error) {
	if len(r.early) == 0 {
		return r.conn.Read(p)
	}
	n := copy(p, r.early)
	r.early = r.early[n:]
	return n, nil
}

func (r *earlyReader) pending() bool { return r != nil && len(r.early) > 0 }
