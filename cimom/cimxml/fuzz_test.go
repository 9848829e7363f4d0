package cimxml

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shypecim/shypecim/cimom/cim"
)

// FuzzDecode: Decode never panics; it returns a *ProtocolError, or a Request with
// exactly one of Op and Err; and a decoded request can be answered.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(capturesDir, "*.raw"))
	more, _ := filepath.Glob(filepath.Join(capturesDir, "pywbemcli", "*.raw"))
	for _, file := range append(files, more...) {
		f.Add(readCapture(f, file))
	}
	goldens, _ := filepath.Glob("testdata/*.golden")
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err == nil {
			// Responses hold the object elements requests carry too.
			s := string(b)
			if i := strings.Index(s, "<IRETURNVALUE>"); i >= 0 {
				if j := strings.Index(s, "</IRETURNVALUE>"); j > i {
					f.Add(call("CreateInstance", ip("NewInstance", s[i+14:j])))
				}
			}
		}
	}
	f.Add(call("CreateClass", ip("NewClass", `<CLASS NAME="A"><METHOD NAME="M"/></CLASS>`)))
	f.Add(mcall("M", `<LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="a"/></LOCALNAMESPACEPATH><CLASSNAME NAME="A"/></LOCALCLASSPATH>`,
		`<PARAMVALUE NAME="p"><VALUE>&lt;INSTANCE CLASSNAME="x"/&gt;</VALUE></PARAMVALUE>`))
	f.Fuzz(func(t *testing.T, body string) {
		req, err := Decode(strings.NewReader(body))
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("Decode = %v, want a *ProtocolError", err)
			}
			if pe.Status != 400 && pe.Status != 501 || pe.CIMError == "" {
				t.Fatalf("ProtocolError = %+v", pe)
			}
			return
		}
		if (req.Op == nil) == (req.Err == nil) {
			t.Fatalf("Request has Op %v and Err %v, want exactly one", req.Op, req.Err)
		}
		var b bytes.Buffer
		var res *cim.Result
		var rerr error
		if req.Err != nil {
			rerr = req.Err
		}
		if werr := WriteResponse(&b, req, res, rerr, "h"); werr != nil {
			t.Fatalf("WriteResponse = %v", werr)
		}
		if _, perr := parse(b.String()); perr != nil {
			t.Fatalf("response not well-formed: %v\n%s", perr, b.String())
		}
	})
}
