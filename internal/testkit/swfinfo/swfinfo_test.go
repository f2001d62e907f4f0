package swfinfo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"testing"
)

// movie builds an uncompressed SWF body: a 1-bit rect, rate, count, then tags.
func movie(tags ...[]byte) []byte {
	body := []byte{0x08, 0x00, 0, 24, 1, 0} // rect with 1-bit fields (2 bytes), rate, count
	for _, t := range tags {
		body = append(body, t...)
	}
	return body
}

func tag(code int, payload []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, uint16(code<<6|0x3f))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

func TestParseUncompressedAndZlib(t *testing.T) {
	body := movie(tag(tagFileAttributes, []byte{0x08, 0, 0, 0}), tag(tagDoABC2, make([]byte, 100)), tag(tagEnd, nil))
	fws := append([]byte("FWS\x0d"), binary.LittleEndian.AppendUint32(nil, uint32(8+len(body)))...)
	fws = append(fws, body...)
	info, err := Parse(fws)
	if err != nil || !info.UsesAS3 || info.ABCBytes != 100 || info.Version != 13 {
		t.Fatalf("FWS: %+v %v", info, err)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(body)
	zw.Close()
	cws := append([]byte("CWS\x0d"), fws[4:8]...)
	info, err = Parse(append(cws, z.Bytes()...))
	if err != nil || info.Compression != "zlib" || info.ABCBytes != 100 {
		t.Fatalf("CWS: %+v %v", info, err)
	}
}

func TestParseRejectsNonSWF(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("GIF89a..."), []byte("FWS\x0d\x10\x00\x00\x00\x08")} {
		if _, err := Parse(b); err == nil {
			t.Errorf("Parse(%q) accepted", b)
		}
	}
}
