package cimxml

import (
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// BenchmarkDecodeGetClass decodes wbemcli's GetClass request.
func BenchmarkDecodeGetClass(b *testing.B) {
	body := readCapture(b, filepath.Join(capturesDir, "05-gc__GetClass.raw"))
	r := strings.NewReader(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r.Reset(body)
		if _, err := Decode(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeCreateInstance decodes wbemcli's CreateInstance request.
func BenchmarkDecodeCreateInstance(b *testing.B) {
	body := readCapture(b, filepath.Join(capturesDir, "17-ci-2-CreateInstance__CreateInstance.raw"))
	r := strings.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		if _, err := Decode(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeGetClass writes a class of 60 properties with qualifiers.
func BenchmarkEncodeGetClass(b *testing.B) {
	req := ireq(&cim.GetClass{Base: base, ClassName: "CIM_Big", ClassFlags: cim.ClassFlags{IncludeQualifiers: true, IncludeClassOrigin: true}})
	res := &cim.Result{Class: bigClass(60)}
	cw := &countWriter{}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteResponse(cw, req, res, nil, host); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(cw.n / int64(b.N))
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkEncodeInstances streams 100,000 small instances through Result.Objects;
// the allocations per op show that nothing is buffered beyond the writer.
func BenchmarkEncodeInstances(b *testing.B) {
	const n = 100_000
	req := ireq(&cim.EnumerateInstances{Base: base, ClassName: "TST_Person"})
	seq := func(yield func(cim.Object, error) bool) {
		// One instance reused: the provider's cost is not what is measured.
		in := &cim.Instance{ClassName: "TST_Person", Properties: []cim.Property{
			{Name: "Name", Type: cim.TypeString, Value: "Alice"},
			{Name: "Age", Type: cim.TypeUint32, Value: uint32(42)},
			{Name: "Nick", Type: cim.TypeString, IsArray: true, Value: []any{"al", "ally"}},
		}}
		p := personPath("Alice")
		for i := 0; i < n; i++ {
			if !yield(cim.Object{Path: p, Instance: in}, nil) {
				return
			}
		}
	}
	b.ReportAllocs()
	var total int64
	for b.Loop() {
		cw := &countWriter{}
		if err := WriteResponse(cw, req, &cim.Result{Objects: seq}, nil, host); err != nil {
			b.Fatal(err)
		}
		total += cw.n
	}
	b.ReportMetric(float64(total)/float64(b.N)/n, "bytes/instance")
}

var _ io.Writer = (*countWriter)(nil)

// BenchmarkEncodingXMLTokens is the baseline that made this package scan XML itself:
// encoding/xml only tokenizing the GetClass request, without decoding anything.
func BenchmarkEncodingXMLTokens(b *testing.B) {
	body := readCapture(b, filepath.Join(capturesDir, "05-gc__GetClass.raw"))
	r := strings.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		d := xml.NewDecoder(r)
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
