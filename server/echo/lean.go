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
// gets small buffers instead of net/http's.
type leanWriter struct{ http.ResponseWriter }

func (w leanWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
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
		src = io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn)
	}
	br := bufio.NewReaderSize(src, max(leanBufSize, n))
	if _, err := br.Peek(n); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, leanBufSize)), nil
}

// Unwrap lets http.ResponseController reach the real writer.
func (w leanWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
