package build

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Size targets, and the original web-socket-js figures they are compared with.
const (
	SWFTarget          = 20 * 1024 // bytes, each release SWF
	OriginalSWF        = 177238    // the original WebSocketMain.swf
	ShimGzipTarget     = 4000      // bytes, web_socket.min.js after gzip -9
	OriginalShimGzip   = 5678      // original web_socket.js + swfobject.js, minified, gzip -9
	shimMinifiedOutput = "web_socket.min.js"
)

// SizeReport prints the shipped files' sizes against their targets and the original's.
func SizeReport(dist string, w io.Writer) error {
	for _, name := range SWFNames {
		st, err := os.Stat(filepath.Join(dist, name+".swf"))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "size: %-26s %7d bytes  (target <= %d: %s; original %d, %.1f%% of it)\n",
			name+".swf", st.Size(), SWFTarget, verdict(st.Size() <= SWFTarget), OriginalSWF, 100*float64(st.Size())/OriginalSWF)
	}
	min, err := os.ReadFile(filepath.Join(dist, shimMinifiedOutput))
	if err != nil {
		return err
	}
	gz, err := GzipSize(min)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "size: %-26s %7d bytes, %d gzip -9  (target <= %d: %s; original %d gzip)\n",
		shimMinifiedOutput, len(min), gz, ShimGzipTarget, verdict(gz <= ShimGzipTarget), OriginalShimGzip)
	return nil
}

// GzipSize is the size of data after gzip at the best compression level.
func GzipSize(data []byte) (int, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return buf.Len(), nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
