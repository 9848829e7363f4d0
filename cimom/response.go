package cimom

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
)

// bufferSize is how much of a response is held back before streaming starts: a
// failure within it still becomes a whole ERROR response (cimxml.md §1.7).
const bufferSize = 64 << 10

// bufPool recycles response buffers: growing a fresh one for every response was most
// of the memory a GetClass allocated.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled is the largest buffer kept for reuse; the fully buffered responses of
// HTTP/1.0 clients may be far larger, and are left to the collector.
const maxPooled = 2 * bufferSize

// responseWriter sits between cimxml.WriteResponse and the http.ResponseWriter. It
// buffers the first limit bytes; past them it commits the 200 and its headers
// (through start) and streams. A negative limit buffers everything (HTTP/1.0).
type responseWriter struct {
	w         http.ResponseWriter
	buf       *bytes.Buffer // nil once released
	limit     int
	start     func() // sets the headers of a streamed response and writes the 200
	committed bool
	n         int64 // bytes handed to w
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if rw.committed {
		n, err := rw.w.Write(p)
		rw.n += int64(n)
		return n, err
	}
	rw.buf.Write(p)
	if rw.limit < 0 || rw.buf.Len() <= rw.limit {
		return len(p), nil
	}
	rw.committed = true
	rw.start()
	n, err := rw.w.Write(rw.buf.Bytes())
	rw.n += int64(n)
	rw.release()
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// finish sends a response that stayed in the buffer, with its Content-Length.
func (rw *responseWriter) finish() error {
	rw.w.Header().Set("Content-Length", strconv.Itoa(rw.buf.Len()))
	rw.w.WriteHeader(http.StatusOK)
	n, err := rw.w.Write(rw.buf.Bytes())
	rw.n += int64(n)
	return err
}

// newResponseWriter returns a responseWriter with a buffer from the pool.
func newResponseWriter(w http.ResponseWriter, limit int, start func()) *responseWriter {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	return &responseWriter{w: w, buf: buf, limit: limit, start: start}
}

// release returns the buffer to the pool; w holds a copy of what was sent.
func (rw *responseWriter) release() {
	if rw.buf == nil {
		return
	}
	if rw.buf.Cap() <= maxPooled {
		bufPool.Put(rw.buf)
	}
	rw.buf = nil
}
