package cimom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimxml"
	"github.com/shypecim/shypecim/cimom/dispatch"
)

// Doer runs one CIM operation; cimom/dispatch.Dispatcher is the one the server uses.
//
// Do is called concurrently, once per request, with the request's context (cancelled
// when the client goes away) carrying the client's address (dispatch.WithClientAddr)
// and, with an Authenticator, the user (Options.WithUser). It returns the result, or
// an error that is answered as a CIM ERROR element: a *cim.Error goes on the wire as
// it is, anything else as CIM_ERR_FAILED with a generic description. The handler
// consumes Result.Objects once, while it writes the response. A panic is recovered and
// answered with HTTP 500.
type Doer interface {
	Do(ctx context.Context, op cim.Op) (*cim.Result, error)
}

// Authenticator checks the credentials of a request (RFC 7617 Basic authentication,
// the scheme every CIM client speaks). It returns the user and true when they are
// valid; false is answered with 401 and a Basic challenge. It is called concurrently.
type Authenticator interface {
	Authenticate(r *http.Request) (user string, ok bool)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (user string, ok bool)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (string, bool) { return f(r) }

// Options configure the handler; the zero value is valid.
type Options struct {
	// Logger receives one line per request at info level and details at debug
	// level; nil: logrus's standard logger.
	Logger *logrus.Entry
	// MaxRequestBytes limits the size of a request body (413 beyond it); 0: 32 MiB.
	MaxRequestBytes int64
	// Authenticator checks every request; nil: no authentication.
	Authenticator Authenticator
	// WithUser, when set, returns the context the operation runs with for the user
	// the Authenticator accepted (cmd/shyped passes providers.WithPrincipal, which
	// this package may not import).
	WithUser func(ctx context.Context, user string) context.Context
	// BodyTimeout bounds the reading of a request body, so that a client cannot hold
	// a handler by sending its body slowly; 0: no bound beyond the server's.
	BodyTimeout time.Duration
	// Realm is the realm of the Basic challenge; "": "shypecim".
	Realm string
	// Now is the clock of the request durations in the log; nil: time.Now.
	Now func() time.Time
}

// DefaultMaxRequestBytes is the body limit when Options.MaxRequestBytes is 0.
const DefaultMaxRequestBytes = 32 << 20

// New returns the http.Handler of CIM operations over HTTP for d: POST and M-POST on
// /cimom and /; any other method there is answered with 405 and Allow, other paths
// with 404.
func New(d Doer, opts Options) http.Handler {
	h := &handler{
		d:           d,
		log:         opts.Logger,
		max:         opts.MaxRequestBytes,
		auth:        opts.Authenticator,
		withUser:    opts.WithUser,
		bodyTimeout: opts.BodyTimeout,
		realm:       opts.Realm,
		now:         opts.Now,
		bufSize:     bufferSize,
	}
	if h.log == nil {
		h.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if h.max <= 0 {
		h.max = DefaultMaxRequestBytes
	}
	if h.realm == "" {
		h.realm = "shypecim"
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h.router()
}

func (h *handler) router() *mux.Router {
	r := mux.NewRouter()
	for _, path := range []string{"/cimom", "/"} {
		r.Handle(path, h).Methods(http.MethodPost, "M-POST")
	}
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST, M-POST")
		h.refuse(w, r, http.StatusMethodNotAllowed, "", "method not allowed")
	})
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.refuse(w, r, http.StatusNotFound, "", "no CIM service at this path")
	})
	return r
}

// refuse answers a request refused before it reached the CIM layer, and logs it.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, status int, cimError, msg string) {
	start := h.now()
	if cimError != "" {
		w.Header()["CIMError"] = []string{cimError}
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	h.log.WithFields(logrus.Fields{
		"method":   r.Method,
		"path":     r.URL.Path,
		"remote":   r.RemoteAddr,
		"status":   status,
		"duration": h.now().Sub(start).String(),
	}).Info(msg)
}

type handler struct {
	d           Doer
	log         *logrus.Entry
	max         int64
	auth        Authenticator
	withUser    func(context.Context, string) context.Context
	bodyTimeout time.Duration
	realm       string
	now         func() time.Time
	bufSize     int
}

// exchange is the state of one request, filled as it goes and logged at its end.
type exchange struct {
	w     http.ResponseWriter
	r     *http.Request
	hdr   cimHeaders
	start time.Time

	req       *cimxml.Request
	user      string
	status    int
	cimStatus cim.Status
	cimError  string // the CIMError header of a refused request
	bytes     int64
	err       error // why the request failed, for the log
	streamed  bool
	abort     bool // cut the connection after logging
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{w: w, r: r, start: h.now(), hdr: cimHeaders{h: r.Header}}
	h.serve(x)
	h.logExchange(x)
	if x.abort {
		// The response is cut off without its final chunk, so that the client sees a
		// failure rather than a truncated document it could take for a whole one.
		panic(http.ErrAbortHandler)
	}
}

// serve runs the checks of cimxml.md §1.5 in their order, then the operation.
func (h *handler) serve(x *exchange) {
	r := x.r
	if h.bodyTimeout > 0 {
		// Bounds the reading of the body, and the draining of an unread one that
		// net/http does after a refusal. An error means the writer has no deadlines
		// (a recorder): no bound then.
		_ = http.NewResponseController(x.w).SetReadDeadline(h.now().Add(h.bodyTimeout))
	}
	if r.Method == "M-POST" {
		if !r.ProtoAtLeast(1, 1) {
			h.fail(x, http.StatusBadRequest, "", errors.New("M-POST on HTTP/1.0"))
			return
		}
		man := r.Header.Values("Man")
		if len(man) == 0 {
			h.fail(x, http.StatusBadRequest, "", errors.New("M-POST without a Man header"))
			return
		}
		ns, ok := parseMan(man)
		if !ok {
			// RFC 2774 §7: a mandatory extension the server does not know.
			h.fail(x, http.StatusNotExtended, "", fmt.Errorf("M-POST without the CIM mapping in Man %q", man))
			return
		}
		x.hdr.prefix, x.hdr.ns = ns+"-", ns
	}
	if r.ContentLength < 0 && len(r.TransferEncoding) == 0 || r.ContentLength == 0 && len(r.Header.Values("Content-Length")) == 0 {
		h.fail(x, http.StatusLengthRequired, "", errors.New("no Content-Length"))
		return
	}
	if r.ContentLength > h.max {
		h.fail(x, http.StatusRequestEntityTooLarge, "", fmt.Errorf("body of %d bytes, limit %d", r.ContentLength, h.max))
		return
	}
	if h.auth != nil {
		user, ok := h.auth.Authenticate(r)
		if !ok {
			x.w.Header().Set("WWW-Authenticate", `Basic realm="`+h.realm+`"`)
			h.fail(x, http.StatusUnauthorized, "", errors.New("authentication failed"))
			return
		}
		x.user = user
	}
	op, ok := x.hdr.get("CIMOperation")
	if !ok {
		h.fail(x, http.StatusBadRequest, "", errors.New("no CIMOperation header"))
		return
	}
	if !strings.EqualFold(strings.TrimSpace(op), "MethodCall") {
		h.fail(x, http.StatusBadRequest, errUnsupportedOperation, fmt.Errorf("CIMOperation %q", op))
		return
	}
	if _, ok := x.hdr.get("CIMBatch"); ok {
		h.fail(x, http.StatusNotImplemented, cimxml.ErrMultipleRequests, errors.New("CIMBatch"))
		return
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		h.fail(x, http.StatusBadRequest, "", err)
		return
	}
	body, err := h.readBody(x)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(x, http.StatusRequestEntityTooLarge, "", err)
		} else {
			h.fail(x, http.StatusBadRequest, "", err)
		}
		return
	}
	if !utf8.Valid(body) {
		// A row of its own in the table of §1.5, before the XML checks (Pegasus).
		h.fail(x, http.StatusBadRequest, cimxml.ErrNotValid, errors.New("body is not UTF-8"))
		return
	}
	req, err := cimxml.Decode(bytes.NewReader(body))
	if err != nil {
		var pe *cimxml.ProtocolError
		if errors.As(err, &pe) {
			h.fail(x, pe.Status, pe.CIMError, err)
		} else {
			h.fail(x, http.StatusBadRequest, cimxml.ErrNotWellFormed, err)
		}
		return
	}
	x.req = req
	if v, ok := x.hdr.get("CIMProtocolVersion"); ok {
		major, err := protocolMajor(v)
		switch {
		case err == nil && major != 1:
			h.fail(x, http.StatusNotImplemented, cimxml.ErrUnsupportedProtocolVersion, fmt.Errorf("CIMProtocolVersion %q", v))
			return
		case err != nil || !sameVersion(v, req.ProtocolVersion):
			h.fail(x, http.StatusBadRequest, errHeaderMismatch,
				fmt.Errorf("CIMProtocolVersion %q, the XML says %q", v, req.ProtocolVersion))
			return
		}
	}
	if err := checkMethodHeader(x.hdr, req); err != nil {
		h.fail(x, http.StatusBadRequest, errHeaderMismatch, err)
		return
	}
	if err := checkObjectHeader(x.hdr, req); err != nil {
		h.fail(x, http.StatusBadRequest, errHeaderMismatch, err)
		return
	}
	h.operate(x)
}

// readBody reads the whole body, up to the limit and within the deadline serve set.
func (h *handler) readBody(x *exchange) ([]byte, error) {
	body := http.MaxBytesReader(x.w, x.r.Body, h.max)
	size := x.r.ContentLength
	if size < 0 || size > 1<<20 {
		size = 0 // chunked, or large: let the buffer grow as the data comes
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(body); err != nil {
		// net/http would try to read the rest of the body before sending the
		// answer: close the connection instead.
		x.w.Header().Set("Connection", "close")
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if h.bodyTimeout > 0 {
		_ = http.NewResponseController(x.w).SetReadDeadline(time.Time{})
	}
	return buf.Bytes(), nil
}

// fail refuses a request at the HTTP level: status, CIMError, no body.
func (h *handler) fail(x *exchange, status int, cimError string, err error) {
	x.status, x.cimError, x.err = status, cimError, err
	if cimError != "" {
		x.w.Header()["CIMError"] = []string{cimError}
		if x.hdr.prefix != "" {
			// Clients of M-POST may look for either spelling.
			x.w.Header()[x.hdr.prefix+"CIMError"] = []string{cimError}
		}
	}
	x.w.Header().Set("Content-Length", "0")
	x.w.WriteHeader(status)
}

// operate runs the decoded operation and writes its response.
func (h *handler) operate(x *exchange) {
	req := x.req
	var res *cim.Result
	var opErr error
	if req.Err != nil {
		opErr = req.Err
	} else {
		var panicked bool
		res, panicked, opErr = h.do(x)
		if panicked {
			h.fail(x, http.StatusInternalServerError, "", opErr)
			return
		}
		if opErr == nil && res == nil {
			res = &cim.Result{}
		}
	}
	if opErr != nil {
		res = nil
	}
	x.cimStatus = cim.StatusOf(opErr)
	if opErr != nil {
		x.err = opErr
	}
	h.respond(x, res, opErr)
}

// do calls the Doer, turning a panic into an error.
func (h *handler) do(x *exchange) (res *cim.Result, panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, panicked, err = nil, true, fmt.Errorf("dispatcher panic: %v\n%s", p, debug.Stack())
		}
	}()
	ctx := dispatch.WithClientAddr(x.r.Context(), remoteHost(x.r.RemoteAddr))
	if h.auth != nil && h.withUser != nil {
		ctx = h.withUser(ctx, x.user)
	}
	res, err = h.d.Do(ctx, x.req.Op)
	return res, false, err
}

// respond writes the 200 response of an operation: buffered up to bufSize, streamed
// beyond (see the package doc).
func (h *handler) respond(x *exchange, res *cim.Result, opErr error) {
	w, r := x.w, x.r
	trailers := r.ProtoAtLeast(1, 1) && acceptsTrailers(r.Header.Values("TE"))
	limit := h.bufSize
	if !r.ProtoAtLeast(1, 1) {
		limit = -1 // no chunks for HTTP/1.0: buffer all
	}
	h.setSuccessHeaders(x)
	rw := newResponseWriter(w, limit, func() {
		x.streamed = true
		if trailers {
			w.Header().Set("Trailer", x.hdr.prefix+"CIMStatusCode, "+x.hdr.prefix+"CIMStatusCodeDescription")
		}
		w.WriteHeader(http.StatusOK)
	})
	defer func() {
		rw.release()
		x.bytes = rw.n
	}()
	x.status = http.StatusOK
	host := hostOf(r)
	panicked, err := writeResponse(rw, x.req, res, opErr, host)

	var se *cimxml.StreamError
	switch {
	case panicked && !rw.committed:
		h.clearSuccessHeaders(x)
		h.fail(x, http.StatusInternalServerError, "", err)
	case panicked:
		x.err, x.cimStatus = err, cim.StatusFailed
		if trailers {
			h.setTrailers(x, cim.StatusFailed, cim.StatusFailed.String())
		} else {
			x.abort = true
		}
	case errors.As(err, &se) && !rw.committed:
		// The stream failed within the buffer: answer a clean ERROR instead.
		x.err, x.cimStatus = se.Err, cim.StatusOf(se.Err)
		rw.buf.Reset()
		if err := cimxml.WriteResponse(rw.buf, x.req, nil, se.Err, host); err != nil {
			h.clearSuccessHeaders(x)
			h.fail(x, http.StatusInternalServerError, "", err)
			return
		}
		if err := rw.finish(); err != nil {
			x.err = errors.Join(x.err, fmt.Errorf("writing the response: %w", err))
		}
	case errors.As(err, &se):
		x.err, x.cimStatus = se.Err, cim.StatusOf(se.Err)
		if trailers {
			h.setTrailers(x, x.cimStatus, errorText(se.Err))
		}
	case err != nil && !rw.committed:
		// Only the encoder can fail on a buffer: it could not write this result.
		h.clearSuccessHeaders(x)
		h.fail(x, http.StatusInternalServerError, "", fmt.Errorf("encoding the response: %w", err))
	case err != nil:
		x.err = errors.Join(x.err, fmt.Errorf("writing the response: %w", err))
	case !rw.committed:
		if err := rw.finish(); err != nil {
			x.err = errors.Join(x.err, fmt.Errorf("writing the response: %w", err))
		}
	case trailers:
		h.setTrailers(x, x.cimStatus, "")
	}
}

// writeResponse is cimxml.WriteResponse with a panic of the result sequence (the
// dispatcher's code, run by the encoder) turned into an error.
func writeResponse(w io.Writer, req *cimxml.Request, res *cim.Result, opErr error, host string) (panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked, err = true, fmt.Errorf("panic while writing the response: %v\n%s", p, debug.Stack())
		}
	}()
	return false, cimxml.WriteResponse(w, req, res, opErr, host)
}

// setSuccessHeaders sets the headers of a 200 response (cimxml.md §1.4, §1.8), with
// the exact spelling of the CIM header names, and the M-POST echo (§1.2).
func (h *handler) setSuccessHeaders(x *exchange) {
	hd := x.w.Header()
	hd.Set("Content-Type", `application/xml; charset="utf-8"`)
	hd[x.hdr.prefix+"CIMOperation"] = []string{"MethodResponse"}
	if x.hdr.prefix != "" {
		hd["Ext"] = []string{""}
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Man", cimMapping+";ns="+x.hdr.ns)
	}
}

func (h *handler) clearSuccessHeaders(x *exchange) {
	hd := x.w.Header()
	for _, k := range []string{"Content-Type", x.hdr.prefix + "CIMOperation", "Ext", "Cache-Control", "Man"} {
		delete(hd, k)
		hd.Del(k)
	}
}

// setTrailers sets the CIMStatusCode trailers; the TrailerPrefix keys keep the exact
// spelling of the names on the wire.
func (h *handler) setTrailers(x *exchange, code cim.Status, desc string) {
	hd := x.w.Header()
	hd[http.TrailerPrefix+x.hdr.prefix+"CIMStatusCode"] = []string{strconv.Itoa(int(code))}
	if desc != "" {
		hd[http.TrailerPrefix+x.hdr.prefix+"CIMStatusCodeDescription"] = []string{desc}
	}
}

// errorText is the description of a failure as the client may see it: the code name
// and the description of a *cim.Error, only the code name for other errors (whose
// text is for the log).
func errorText(err error) string {
	var ce *cim.Error
	if errors.As(err, &ce) {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(ce.Error())
	}
	return cim.StatusFailed.String()
}

// hostOf is the host[:port] the client connected to, for the HOST of the paths in
// the response: the Host header, else (HTTP/1.0) the local address.
func hostOf(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a.String()
	}
	return "localhost"
}

// remoteHost is the host part of a RemoteAddr.
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// logExchange writes the one info line of a request, and the details at debug level.
func (h *handler) logExchange(x *exchange) {
	f := logrus.Fields{
		"method":     x.r.Method,
		"remote":     x.r.RemoteAddr,
		"status":     x.status,
		"cim_status": int(x.cimStatus),
		"duration":   h.now().Sub(x.start).String(),
		"bytes":      x.bytes,
	}
	if x.req != nil {
		f["cim_method"] = x.req.Method
		f["namespace"] = x.req.Namespace
		f["id"] = x.req.ID
	}
	if x.user != "" {
		f["user"] = x.user
	}
	if x.cimError != "" {
		f["cim_error"] = x.cimError
	}
	if x.streamed {
		f["streamed"] = true
	}
	e := h.log.WithFields(f)
	if x.err != nil {
		e = e.WithError(x.err)
	}
	switch {
	case x.status >= 500 || x.abort:
		e.Error("request failed")
	case x.streamed && x.err != nil:
		// The client got a 200 and a cut-short document (and a trailer, if it asked).
		e.Warn("response stream failed")
	default:
		e.Info("request")
	}
	if h.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		d := logrus.Fields{"path": x.r.URL.Path, "proto": x.r.Proto}
		for _, name := range []string{"CIMOperation", "CIMMethod", "CIMObject", "CIMProtocolVersion", "CIMBatch"} {
			if v, ok := x.hdr.get(name); ok {
				d[name] = v
			}
		}
		for _, name := range []string{"Content-Type", "Content-Length", "TE", "User-Agent"} {
			if v := x.r.Header.Get(name); v != "" {
				d[name] = v
			}
		}
		h.log.WithFields(d).Debug("request headers")
	}
}
