package cimxml_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimxml"
)

// A request is decoded into an operation; its result (here computed up front) is
// written back with the host the client connected to.
func Example() {
	body := `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ>
<IMETHODCALL NAME="EnumerateInstanceNames"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>
<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TST_Person"/></IPARAMVALUE>
</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
	req, err := cimxml.Decode(strings.NewReader(body))
	if err != nil {
		fmt.Println(err) // a *cimxml.ProtocolError: HTTP status and CIMError header
		return
	}
	op := req.Op.(*cim.EnumerateInstanceNames)
	fmt.Println(req.Method, op.Namespace, op.ClassName)

	res := &cim.Result{Objects: cim.Objects([]cim.Object{{Path: &cim.ObjectPath{
		Namespace: op.Namespace, ClassName: "TST_Person", Keys: []cim.KeyBinding{{Name: "Name", Value: "Alice"}}}}})}
	if err := cimxml.WriteResponse(os.Stdout, req, res, nil, "localhost:5988"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// EnumerateInstanceNames root/cimv2 TST_Person
	// <?xml version="1.0" encoding="utf-8" ?>
	// <CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="EnumerateInstanceNames"><IRETURNVALUE><INSTANCENAME CLASSNAME="TST_Person"><KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string" TYPE="string">Alice</KEYVALUE></KEYBINDING></INSTANCENAME></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>
}
