package cimom

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom/cim"
)

// BenchmarkGetClassHTTP is a whole GetClass over loopback HTTP with a keep-alive
// client: headers, decode, dispatch (a fake returning a 200-property class), encode.
func BenchmarkGetClassHTTP(b *testing.B) {
	class := testClass("TST_Big", 200)
	d := doerFunc(func(ctx context.Context, op cim.Op) (*cim.Result, error) {
		return &cim.Result{Class: class}, nil
	})
	log := logrus.New()
	log.SetOutput(io.Discard)
	s := httptest.NewServer(New(d, Options{Logger: logrus.NewEntry(log)}))
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	body := getClassBody("root/cimv2", "TST_Big")
	var size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/cimom", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header["Content-Type"] = []string{`application/xml; charset="utf-8"`}
		req.Header["CIMOperation"] = []string{"MethodCall"}
		req.Header["CIMMethod"] = []string{"GetClass"}
		req.Header["CIMObject"] = []string{"root%2Fcimv2"}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		size = n
	}
	b.ReportMetric(float64(size), "resp-bytes")
}
