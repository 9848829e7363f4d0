package cimom_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom"
	"github.com/shypecim/shypecim/cimom/cim"
)

// schema is a Doer that knows one class.
type schema struct{}

func (schema) Do(ctx context.Context, op cim.Op) (*cim.Result, error) {
	if gc, ok := op.(*cim.GetClass); ok && gc.ClassName == "TST_Person" {
		return &cim.Result{Class: &cim.Class{Name: "TST_Person"}}, nil
	}
	return nil, cim.Errorf(cim.StatusNotFound, "no such class")
}

// A GetClass as wbemcli sends it, answered by the handler of a Doer.
func ExampleNew() {
	log := logrus.New()
	log.SetOutput(io.Discard)
	srv := httptest.NewServer(cimom.New(schema{}, cimom.Options{Logger: logrus.NewEntry(log)}))
	defer srv.Close()

	body := `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ>
<IMETHODCALL NAME="GetClass"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>
<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TST_Person"/></IPARAMVALUE>
</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/cimom", strings.NewReader(body))
	req.Header["Content-Type"] = []string{`application/xml; charset="utf-8"`}
	req.Header["CIMOperation"] = []string{"MethodCall"}
	req.Header["CIMMethod"] = []string{"GetClass"}
	req.Header["CIMObject"] = []string{"root%2Fcimv2"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("CIMOperation"))
	fmt.Println(strings.Contains(string(out), `<CLASS NAME="TST_Person"`))
	// Output:
	// 200 MethodResponse
	// true
}
