// Package cimom is the HTTP front end of the CIM object manager: the http.Handler
// that serves CIM operations over HTTP (DSP0200) in CIM-XML (DSP0201), as cimxml.md §1
// and its project decisions describe.
//
// A request goes through the checks of the status table of cimxml.md §1.5 in its
// order: the HTTP method (405 with Allow), M-POST on HTTP/1.0 (400), the body length
// (411, 413), authentication (401), the CIMOperation header (400, with CIMError
// unsupported-operation when it is not MethodCall), CIMBatch (501,
// multiple-requests-unsupported), the Content-Type (400), the body's encoding (400,
// request-not-valid), then the CIM-XML decoder (its *cimxml.ProtocolError gives the
// status and CIMError), CIMProtocolVersion (501 unsupported-protocol-version, 400
// header-mismatch), and CIMMethod and CIMObject against the XML (400 header-mismatch).
// net/http itself answers a missing Host on HTTP/1.1 and bad or differing
// Content-Length values with 400, and an unknown or repeated Transfer-Encoding with
// 501 (the table asks 400 for the repeated one); it collapses identical repeated
// Content-Length values into one (RFC 9110 §8.6 allows it), so those are served.
// A POST without Content-Length nor chunked body is answered with 411.
//
// Everything past those checks is answered with 200: the operation runs on the Doer
// (the dispatcher), and its result, or its CIM error, is written by cimxml. M-POST
// (RFC 2774) is served like POST, with the CIM headers prefixed as its Man header
// declares and the response echoing that scheme (Ext, Man, NN-CIMOperation).
//
// # Responses
//
// The first 64 KiB of a response are buffered, so that a failure before then still
// becomes a complete ERROR response with a Content-Length. A longer response is
// streamed with chunked transfer coding; when the request carried TE: trailers (or TE:
// chunked, as Pegasus accepts) the response declares the CIMStatusCode and
// CIMStatusCodeDescription trailers and sets them after the body: 0 on success, the
// CIM status of the failure when the result stream broke off (cimxml.md §1.7). Without
// them a broken stream can only be logged. HTTP/1.0 clients cannot take chunks and get
// fully buffered responses.
//
// A panic in the dispatcher is recovered and answered with 500 when no output has
// been sent; after that, the connection is cut (or the trailers carry
// CIM_ERR_FAILED), so that the client never takes a truncated answer for a whole one.
//
// # Timeouts
//
// The handler sets no write deadline: an enumeration of many instances may stream for
// as long as it needs. The http.Server that serves it should set ReadHeaderTimeout and
// IdleTimeout, and no WriteTimeout nor ReadTimeout: net/http cancels the request's
// context when a read deadline passes during the handler, which would cut long
// operations short. Options.BodyTimeout bounds the reading of the body instead.
//
// # Logging
//
// Every request gives one line at info level: HTTP method, CIM method, namespace,
// HTTP status, CIM status code, duration and response bytes; the CIM headers and the
// cause of a failure come at debug level. The Authorization header is never logged.
package cimom
