package swfinfo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// Info is what a SWF's header and tag list say about it.
type Info struct {
	Compression string // "none" (FWS), "zlib" (CWS) or "lzma" (ZWS)
	Version     int    // SWF version
	Length      int    // uncompressed length from the header
	UsesAS3     bool   // FileAttributes has the ActionScript 3 flag
	ABCBytes    int    // total size of DoABC/DoABC2 tags (the compiled AS3)
	Tags        int
}

// Package swfinfo reads a SWF header and tag list, for tests that check what a build wrote.

// Parse reads a SWF file's header and walks its tags: enough to prove a build produced a
// real AS3 movie rather than some other file.
func Parse(b []byte) (Info, error) {
	var info Info
	if len(b) < 8 {
		return info, errors.New("swf: shorter than a SWF header")
	}
	info.Version = int(b[3])
	info.Length = int(binary.LittleEndian.Uint32(b[4:8]))
	body, err := decompress(b, &info)
	if err != nil {
		return info, err
	}
	return info, walkTags(body, &info)
}

// Uncompressed returns a SWF's tags (everything after the 8-byte header), decompressed:
// the bytes in which compiled strings and class names can be looked for.
func Uncompressed(b []byte) ([]byte, error) {
	if len(b) < 8 {
		return nil, errors.New("swf: shorter than a SWF header")
	}
	return decompress(b, &Info{Length: int(binary.LittleEndian.Uint32(b[4:8]))})
}

func decompress(b []byte, info *Info) ([]byte, error) {
	switch string(b[:3]) {
	case "FWS":
		info.Compression = "none"
		return b[8:], nil
	case "CWS":
		info.Compression = "zlib"
		zr, err := zlib.NewReader(bytes.NewReader(b[8:]))
		if err != nil {
			return nil, fmt.Errorf("swf: %w", err)
		}
		return io.ReadAll(zr)
	case "ZWS":
		info.Compression = "lzma"
		if len(b) < 17 {
			return nil, errors.New("swf: truncated LZMA header")
		}
		// SWF stores LZMA as: compressed length, 5 property bytes, data. The lzma
		// package wants the classic header: properties, then the 64-bit decoded size.
		hdr := make([]byte, 13)
		copy(hdr, b[12:17])
		binary.LittleEndian.PutUint64(hdr[5:], uint64(info.Length-8))
		zr, err := lzma.NewReader(io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(b[17:])))
		if err != nil {
			return nil, fmt.Errorf("swf: %w", err)
		}
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("swf: unknown signature %q", b[:3])
}

const (
	tagEnd            = 0
	tagFileAttributes = 69
	tagDoABC          = 72
	tagDoABC2         = 82
)

func walkTags(body []byte, info *Info) error {
	if len(body) < 1 {
		return errors.New("swf: empty body")
	}
	rectBits := 5 + 4*int(body[0]>>3)
	pos := (rectBits+7)/8 + 4 // frame rect, frame rate, frame count
	for pos+2 <= len(body) {
		head := binary.LittleEndian.Uint16(body[pos:])
		code, size := int(head>>6), int(head&0x3f)
		pos += 2
		if size == 0x3f {
			if pos+4 > len(body) {
				return errors.New("swf: truncated tag header")
			}
			size = int(binary.LittleEndian.Uint32(body[pos:]))
			pos += 4
		}
		if pos+size > len(body) {
			return fmt.Errorf("swf: tag %d overruns the file", code)
		}
		info.Tags++
		switch code {
		case tagFileAttributes:
			info.UsesAS3 = size > 0 && body[pos]&0x08 != 0
		case tagDoABC, tagDoABC2:
			info.ABCBytes += size
		case tagEnd:
			return nil
		}
		pos += size
	}
	return errors.New("swf: no End tag")
}
