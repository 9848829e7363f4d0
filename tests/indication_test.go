package tests

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimclient"
	"github.com/shypecim/shypecim/cimom/cimxml"
)

// indicationListener is a CIM-XML listener as pywbem's: it checks the export
// headers, decodes each ExportIndication and answers an empty EXPMETHODRESPONSE.
type indicationListener struct {
	srv *httptest.Server
	got chan *cim.Instance
}

func newIndicationListener(t *testing.T) *indicationListener {
	t.Helper()
	l := &indicationListener{got: make(chan *cim.Instance, 64)}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("CIMExport") != "MethodRequest" || r.Header.Get("CIMExportMethod") != "ExportIndication" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/xml") {
			w.Header().Set("CIMError", "header-mismatch")
			w.WriteHeader(http.StatusBadRequest)
			t.Errorf("export request headers %v", r.Header)
			return
		}
		body, _ := io.ReadAll(r.Body)
		id, ind, err := cimxml.DecodeExportIndication(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			t.Errorf("decoding an export request: %v", err)
			return
		}
		w.Header().Set("CIMExport", "MethodResponse")
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		cimxml.EncodeExportResponse(w, id, nil)
		l.got <- ind
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// next is the next indication delivered; the deadline only guards a hung server.
func (l *indicationListener) next(t *testing.T) *cim.Instance {
	t.Helper()
	select {
	case ind := <-l.got:
		return ind
	case <-time.After(30 * time.Second):
		t.Fatal("no indication arrived")
		return nil
	}
}

// nextBy returns the next indication and checks the filter that selected it.
func (l *indicationListener) nextBy(t *testing.T, filter, class string) *cim.Instance {
	t.Helper()
	ind := l.next(t)
	if got := propValue(ind, "IndicationFilterName"); got != filter || ind.ClassName != class {
		t.Fatalf("got %s by filter %v (%v), want %s by %q", ind.ClassName, got, propValue(ind, "Description"), class, filter)
	}
	return ind
}

func propValue(inst *cim.Instance, name string) any {
	if p := inst.Property(name); p != nil {
		return p.Value
	}
	return nil
}

// subscribeIndications creates, as pywbem's subscription manager does, an owned
// filter, a listener destination and the subscription between them in interop.
func subscribeIndications(t *testing.T, c *cimclient.Client, name, query, dest string) *cim.ObjectPath {
	t.Helper()
	ctx := context.Background()
	keys := func(class string) []cim.Property {
		return []cim.Property{
			strProp("SystemCreationClassName", "CIM_ComputerSystem"), strProp("SystemName", hostName(t)),
			strProp("CreationClassName", class), strProp("Name", name),
		}
	}
	fp := append(keys("CIM_IndicationFilter"),
		strProp("Query", query), strProp("QueryLanguage", "WQL"),
		cim.Property{Name: "SourceNamespaces", Type: cim.TypeString, IsArray: true, Value: []any{"root/cimv2"}},
		cim.Property{Name: "IndividualSubscriptionSupported", Type: cim.TypeBoolean, Value: true})
	filter, err := c.CreateInstance(ctx, "interop", &cim.Instance{ClassName: "CIM_IndicationFilter", Properties: fp})
	if err != nil {
		t.Fatalf("creating filter %s: %v", name, err)
	}
	dp := append(keys("CIM_ListenerDestinationCIMXML"), strProp("Destination", dest),
		cim.Property{Name: "PersistenceType", Type: cim.TypeUint16, Value: uint16(2)})
	handler, err := c.CreateInstance(ctx, "interop", &cim.Instance{ClassName: "CIM_ListenerDestinationCIMXML", Properties: dp})
	if err != nil {
		t.Fatalf("creating destination %s: %v", name, err)
	}
	sub, err := c.CreateInstance(ctx, "interop", &cim.Instance{ClassName: "CIM_IndicationSubscription", Properties: []cim.Property{
		{Name: "Filter", Type: cim.TypeReference, Value: filter},
		{Name: "Handler", Type: cim.TypeReference, Value: handler},
		{Name: "SubscriptionState", Type: cim.TypeUint16, Value: uint16(2)},
		{Name: "OnFatalErrorPolicy", Type: cim.TypeUint16, Value: uint16(2)},
	}})
	if err != nil {
		t.Fatalf("creating subscription %s: %v", name, err)
	}
	return sub
}

// refusedStart starts dom, which the access control must refuse, and returns
// Xen's message.
func refusedStart(t *testing.T, c *cimclient.Client, dom *cim.ObjectPath) string {
	t.Helper()
	_, _, err := c.InvokeMethod(context.Background(), dom, "RequestStateChange", stateParam(2))
	if cim.StatusOf(err) != cim.StatusFailed {
		t.Fatalf("start of %v: %v, want CIM_ERR_FAILED", dom, err)
	}
	var ce *cim.Error
	if !errors.As(err, &ce) || ce.Description == "" {
		t.Fatalf("refusal %v carries no message", err)
	}
	return ce.Description
}

// TestIndications subscribes through the interop classes and checks delivery end
// to end: a policy change, refused starts (authorization, Chinese Wall), a WHERE
// clause that excludes, a deleted subscription, and a restart that keeps the
// subscriptions. Indications to one listener arrive in order, so an indication
// that should not have been delivered would show up before the next expected one.
func TestIndications(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, "--data", data)
	c := cimClient(t, s)
	l := newIndicationListener(t)
	svc, vsms := benchPaths(t)

	subscribeIndications(t, c, "policy", "SELECT * FROM Xen_PolicyChangeIndication", l.srv.URL)
	conflict := subscribeIndications(t, c, "conflict", "SELECT * FROM CIM_AlertIndication WHERE Hook = 3", l.srv.URL)
	subscribeIndications(t, c, "excluded", "SELECT * FROM Xen_AccessDeniedIndication WHERE Hook = 1", l.srv.URL)
	subscribeIndications(t, c, "authorization", "SELECT * FROM Xen_AccessDeniedIndication WHERE Hook = 2", l.srv.URL)

	loadE2EPolicy(t, c, svc)
	ind := l.nextBy(t, "policy", "Xen_PolicyChangeIndication")
	src, ok := propValue(ind, "SourceInstance").(*cim.Instance)
	if !ok || propValue(src, "PolicyName") != "e2e" {
		t.Fatalf("SourceInstance = %#v", propValue(ind, "SourceInstance"))
	}
	if prev, ok := propValue(ind, "PreviousInstance").(*cim.Instance); !ok || propValue(prev, "PolicyName") != "DEFAULT" {
		t.Errorf("PreviousInstance = %#v", propValue(ind, "PreviousInstance"))
	}
	if p, _ := propValue(ind, "SourceInstanceModelPath").(string); !strings.Contains(p, "Xen_ACMPolicy.InstanceID=") {
		t.Errorf("SourceInstanceModelPath = %q", p)
	}

	acme := define(t, c, vsms, "acme", "ACM:e2e:acme", "")
	invokeOK(t, c, acme, "RequestStateChange", stateParam(2))
	globex := define(t, c, vsms, "globex", "ACM:e2e:globex", "")
	outsider := define(t, c, vsms, "outsider", "ACM:e2e:outsider", "")

	msg := refusedStart(t, c, globex)
	ind = l.nextBy(t, "conflict", "Xen_AccessDeniedIndication")
	for k, want := range map[string]any{
		"Description": msg, "SubjectLabel": "ACM:e2e:globex", "Hook": uint16(3), "AlertType": uint16(8),
	} {
		if got := propValue(ind, k); got != want {
			t.Errorf("conflict alert %s = %#v, want %#v", k, got, want)
		}
	}
	if el, _ := propValue(ind, "AlertingManagedElement").(string); !strings.Contains(el, "Xen_ComputerSystem") {
		t.Errorf("AlertingManagedElement = %q", el)
	} else if p, err := cim.ParseObjectPath(el); err != nil || !p.Equal(globex) {
		t.Errorf("AlertingManagedElement %q is not %v (%v)", el, globex, err)
	}

	msg = refusedStart(t, c, outsider)
	ind = l.nextBy(t, "authorization", "Xen_AccessDeniedIndication")
	if propValue(ind, "Description") != msg || propValue(ind, "ObjectLabel") != "ACM:e2e:SystemManagement" {
		t.Errorf("authorization alert: Description %v, ObjectLabel %v", propValue(ind, "Description"), propValue(ind, "ObjectLabel"))
	}

	// Without its subscription the conflict is not delivered: the authorization
	// refusal after it is the next arrival.
	if err := c.DeleteInstance(context.Background(), conflict); err != nil {
		t.Fatalf("deleting the subscription: %v", err)
	}
	refusedStart(t, c, globex)
	refusedStart(t, c, outsider)
	l.nextBy(t, "authorization", "Xen_AccessDeniedIndication")

	// After a restart the subscriptions are still there (and the deleted one still
	// gone): delivery goes on.
	if code := s.stop(t); code != 0 {
		t.Fatalf("shyped exited with %d", code)
	}
	s = startServer(t, "--data", data)
	c = cimClient(t, s)
	refusedStart(t, c, globex)
	refusedStart(t, c, outsider)
	l.nextBy(t, "authorization", "Xen_AccessDeniedIndication")
	select {
	case ind := <-l.got:
		t.Errorf("unexpected indication %s by %v", ind.ClassName, propValue(ind, "IndicationFilterName"))
	default:
	}
}
