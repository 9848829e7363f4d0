// Package cimclient is a small CIM-XML client over HTTP (DSP0200, DSP0201) for the
// project's own tools: shypectl and the vTPM migration, which drive a shyped server
// (or any WBEM server) with the same operations the server decodes.
//
// Do sends any cim.Op and returns its cim.Result: the request is written by
// cimxml.EncodeRequest, posted with the CIMOperation, CIMMethod and CIMObject
// headers percent-encoded as DSP0200 says, and the response decoded by
// cimxml.DecodeResponse. An ERROR element comes back as a *cim.Error (code and
// description), an HTTP status other than 200 as an *HTTPError naming the status
// and the CIMError header, a failure that a chunked response reports in its
// trailer as a *cim.Error too. Paths the response gives without a namespace get the
// request's, so that every returned path can be used in a later request.
//
// The whole response is read into memory before it is decoded: the client is meant
// for management tools, not for bulk transfers.
package cimclient
