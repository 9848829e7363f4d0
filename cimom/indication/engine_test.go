package indication_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimxml"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/indication"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
)

const interop = "interop"

// wait bounds every wait for a delivery; it only guards against a hung test.
const wait = 20 * time.Second

// newStore is a fresh repository with the embedded schema and a dispatcher over
// it, through which the tests create their subscriptions as a client would.
func newStore(t *testing.T) (*repository.Store, *dispatch.Dispatcher) {
	t.Helper()
	store := repository.New()
	if _, err := schema.Load(store, "", schema.Namespaces...); err != nil {
		t.Fatalf("schema.Load: %v", err)
	}
	d := dispatch.New(store, dispatch.Options{})
	t.Cleanup(func() { d.Close() })
	return store, d
}

// listener is a CIM-XML indication listener: it decodes each ExportIndication and
// passes the indication on, after answer decides the HTTP status (200: accepted).
type listener struct {
	srv    *httptest.Server
	got    chan *cim.Instance
	calls  atomic.Int32
	answer func(n int32) int
	hold   chan struct{} // when set, requests wait for it to close
	// arrived receives a token when a request arrives (never blocking).
	arrived chan struct{}
}

func newListener(t *testing.T) *listener {
	t.Helper()
	l := &listener{got: make(chan *cim.Instance, 100), arrived: make(chan struct{}, 1)}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := l.calls.Add(1)
		select {
		case l.arrived <- struct{}{}:
		default:
		}
		if l.hold != nil {
			<-l.hold
		}
		if r.Header.Get("CIMExport") != "MethodRequest" || r.Header.Get("CIMExportMethod") != "ExportIndication" {
			http.Error(w, "bad headers", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		id, ind, err := cimxml.DecodeExportIndication(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if l.answer != nil {
			if code := l.answer(n); code != http.StatusOK {
				w.WriteHeader(code)
				return
			}
		}
		l.got <- ind
		w.Header().Set("CIMExport", "MethodResponse")
		cimxml.EncodeExportResponse(w, id, nil)
	}))
	t.Cleanup(func() {
		if l.hold != nil {
			select {
			case <-l.hold:
			default:
				close(l.hold)
			}
		}
		l.srv.Close()
	})
	return l
}

// next returns the next indication the listener received.
func (l *listener) next(t *testing.T) *cim.Instance {
	t.Helper()
	select {
	case ind := <-l.got:
		return ind
	case <-time.After(wait):
		t.Fatal("no indication arrived")
		return nil
	}
}

func create(t *testing.T, d *dispatch.Dispatcher, inst *cim.Instance) *cim.ObjectPath {
	t.Helper()
	res, err := d.Do(context.Background(), &cim.CreateInstance{Base: cim.Base{Namespace: interop}, NewInstance: inst})
	if err != nil {
		t.Fatalf("CreateInstance %s: %v", inst.ClassName, err)
	}
	return res.Path
}

func sprop(name string, v any) cim.Property {
	switch x := v.(type) {
	case string:
		return cim.Property{Name: name, Type: cim.TypeString, Value: x}
	case []string:
		a := make([]any, len(x))
		for i, s := range x {
			a[i] = s
		}
		return cim.Property{Name: name, Type: cim.TypeString, IsArray: true, Value: a}
	case uint16:
		return cim.Property{Name: name, Type: cim.TypeUint16, Value: x}
	case *cim.ObjectPath:
		return cim.Property{Name: name, Type: cim.TypeReference, Value: x}
	}
	panic(fmt.Sprintf("sprop %T", v))
}

func systemKeys(class, name string) []cim.Property {
	return []cim.Property{
		sprop("SystemCreationClassName", "CIM_ComputerSystem"),
		sprop("SystemName", "host"),
		sprop("CreationClassName", class),
		sprop("Name", name),
	}
}

// subscribe creates a filter, a destination and a subscription (more: extra
// properties of the subscription) and returns the subscription's path.
func subscribe(t *testing.T, d *dispatch.Dispatcher, name, lang, q string, namespaces []string, url string, more ...cim.Property) *cim.ObjectPath {
	t.Helper()
	fp := systemKeys("CIM_IndicationFilter", name)
	fp = append(fp, sprop("Query", q), sprop("QueryLanguage", lang))
	if namespaces != nil {
		fp = append(fp, sprop("SourceNamespaces", namespaces))
	}
	filter := create(t, d, &cim.Instance{ClassName: "CIM_IndicationFilter", Properties: fp})
	dp := systemKeys("CIM_ListenerDestinationCIMXML", name)
	dp = append(dp, sprop("Destination", url))
	dest := create(t, d, &cim.Instance{ClassName: "CIM_ListenerDestinationCIMXML", Properties: dp})
	sp := append([]cim.Property{sprop("Filter", filter), sprop("Handler", dest)}, more...)
	return create(t, d, &cim.Instance{ClassName: "CIM_IndicationSubscription", Properties: sp})
}

func newEngine(t *testing.T, store *repository.Store, retries ...time.Duration) (*indication.Engine, *test.Hook) {
	t.Helper()
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	if retries == nil {
		retries = []time.Duration{}
	}
	e := indication.New(indication.Options{
		Store:   store,
		Lookup:  store.Class,
		Logger:  log,
		Retries: retries,
		Now:     func() time.Time { return time.Date(2026, 11, 23, 15, 45, 0, 123456000, time.UTC) },
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		e.Close(ctx)
	})
	return e, hook
}

func alert(hook uint16, msg string) *cim.Instance {
	return &cim.Instance{ClassName: "Xen_AccessDeniedIndication", Properties: []cim.Property{
		{Name: "IndicationIdentifier", Type: cim.TypeString},
		{Name: "IndicationTime", Type: cim.TypeDatetime},
		{Name: "IndicationFilterName", Type: cim.TypeString},
		sprop("Description", msg),
		sprop("Hook", hook),
		sprop("AlertType", uint16(8)),
	}}
}

func modification(name string) *cim.Instance {
	src := &cim.Instance{ClassName: "Xen_ACMPolicy", Properties: []cim.Property{sprop("PolicyName", name)}}
	return &cim.Instance{ClassName: "Xen_PolicyChangeIndication", Properties: []cim.Property{
		{Name: "SourceInstance", Type: cim.TypeString, Value: src},
	}}
}

func description(ind *cim.Instance) string {
	if p := ind.Property("Description"); p != nil {
		s, _ := p.Value.(string)
		return s
	}
	return ""
}

// TestMatching checks the FROM class with ISA semantics, WHERE, the source
// namespaces and the select list. Every case ends with a marker that the filter
// selects: per-destination order makes it arrive first when nothing else did.
func TestMatching(t *testing.T) {
	tests := []struct {
		name       string
		lang, q    string
		namespaces []string
		send       func() (ns string, ind *cim.Instance)
		want       bool
	}{
		{"exact class", "WQL", "SELECT * FROM Xen_AccessDeniedIndication", nil,
			func() (string, *cim.Instance) { return "root/cimv2", alert(2, "x") }, true},
		{"superclass", "WQL", "SELECT * FROM CIM_AlertIndication", nil,
			func() (string, *cim.Instance) { return "root/cimv2", alert(2, "x") }, true},
		{"root class CQL", "DMTF:CQL", "SELECT * FROM CIM_Indication", nil,
			func() (string, *cim.Instance) { return "root/cimv2", alert(2, "x") }, true},
		{"other branch", "WQL", "SELECT * FROM CIM_InstModification", nil,
			func() (string, *cim.Instance) { return "root/cimv2", alert(2, "x") }, false},
		{"where true", "WQL", "SELECT * FROM CIM_AlertIndication WHERE Hook = 2", nil,
			func() (string, *cim.Instance) { return "root/cimv2", alert(2, "x") }, true},
		{"where false", "WQL", "SELECT * FROM CIM_AlertIndication WHERE Hook = 3", nil,
			func() (string, *cim.Instance) { return "root/cimv2", alert(2, "x") }, false},
		{"embedded isa", "DMTF:CQL", "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_SettingData", nil,
			func() (string, *cim.Instance) { return "root/cimv2", modification("acme") }, true},
		{"embedded property", "WQL", "SELECT * FROM CIM_InstModification WHERE SourceInstance.PolicyName = 'other'", nil,
			func() (string, *cim.Instance) { return "root/cimv2", modification("acme") }, false},
		{"namespace listed", "WQL", "SELECT * FROM CIM_Indication", []string{"/root/CIMV2"},
			func() (string, *cim.Instance) { return "root/cimv2", alert(2, "x") }, true},
		{"namespace not listed", "WQL", "SELECT * FROM CIM_Indication", []string{"interop"},
			func() (string, *cim.Instance) { return "root/cimv2", alert(2, "x") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, d := newStore(t)
			l := newListener(t)
			subscribe(t, d, "f", tt.lang, tt.q, tt.namespaces, l.srv.URL)
			subscribe(t, d, "marker", "WQL", "SELECT * FROM CIM_AlertIndication WHERE Description = 'marker'", nil, l.srv.URL)
			e, _ := newEngine(t, store)
			ns, ind := tt.send()
			e.Indicate(context.Background(), ns, ind)
			e.Indicate(context.Background(), "root/cimv2", alert(1, "marker"))
			got := l.next(t)
			if delivered := description(got) != "marker"; delivered != tt.want {
				t.Fatalf("delivered = %v, want %v (first arrival %s %q)", delivered, tt.want, got.ClassName, description(got))
			}
			if tt.want {
				if got.ClassName != ind.ClassName {
					t.Errorf("class %s, want %s", got.ClassName, ind.ClassName)
				}
				if m := l.next(t); description(m) != "marker" {
					t.Errorf("second arrival %q, want the marker", description(m))
				}
			}
		})
	}
}

func TestIdentifierTimeAndFilterName(t *testing.T) {
	store, d := newStore(t)
	l := newListener(t)
	subscribe(t, d, "alerts", "WQL", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL)
	e, _ := newEngine(t, store)
	e.Indicate(context.Background(), "root/cimv2", alert(2, "a"))
	e.Indicate(context.Background(), "root/cimv2", alert(2, "b"))
	a, b := l.next(t), l.next(t)
	ida, _ := a.Property("IndicationIdentifier").Value.(string)
	idb, _ := b.Property("IndicationIdentifier").Value.(string)
	if ida == "" || ida == idb {
		t.Errorf("identifiers %q and %q, want unique ones", ida, idb)
	}
	if got := a.Property("IndicationTime").Value; got != cim.Datetime("20261123154500.123456+000") {
		t.Errorf("IndicationTime = %#v", got)
	}
	if got := a.Property("IndicationFilterName").Value; got != "alerts" {
		t.Errorf("IndicationFilterName = %#v", got)
	}
}

func TestSelectList(t *testing.T) {
	store, d := newStore(t)
	l := newListener(t)
	subscribe(t, d, "f", "WQL", "SELECT Description FROM CIM_AlertIndication", nil, l.srv.URL)
	e, _ := newEngine(t, store)
	e.Indicate(context.Background(), "root/cimv2", alert(2, "narrow"))
	got := l.next(t)
	if got.Property("Hook") != nil || description(got) != "narrow" {
		t.Errorf("projected indication: %+v", got.Properties)
	}
}

func TestOrderPerDestination(t *testing.T) {
	store, d := newStore(t)
	l := newListener(t)
	subscribe(t, d, "f", "WQL", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL)
	e, _ := newEngine(t, store)
	const n = 30
	for i := range n {
		e.Indicate(context.Background(), "root/cimv2", alert(2, fmt.Sprint(i)))
	}
	for i := range n {
		if got := description(l.next(t)); got != fmt.Sprint(i) {
			t.Fatalf("indication %d arrived as %q", i, got)
		}
	}
}

func TestRetries(t *testing.T) {
	store, d := newStore(t)
	l := newListener(t)
	l.answer = func(n int32) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	subscribe(t, d, "f", "WQL", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL)
	e, _ := newEngine(t, store, time.Millisecond, time.Millisecond, time.Millisecond)
	e.Indicate(context.Background(), "root/cimv2", alert(2, "persistent"))
	if got := description(l.next(t)); got != "persistent" {
		t.Fatalf("got %q", got)
	}
	if c := l.calls.Load(); c != 3 {
		t.Errorf("%d attempts, want 3", c)
	}
}

// TestFatalErrorPolicy checks Ignore, Disable and Remove after the retries are
// spent; Close waits for the deliveries, so the store is final afterwards.
func TestFatalErrorPolicy(t *testing.T) {
	tests := []struct {
		policy    uint16
		wantState any // SubscriptionState after the failure; "gone" when removed
	}{
		{2, uint16(2)},
		{3, uint16(4)},
		{4, "gone"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.policy), func(t *testing.T) {
			store, d := newStore(t)
			l := newListener(t)
			l.answer = func(int32) int { return http.StatusInternalServerError }
			sub := subscribe(t, d, "f", "WQL", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL,
				sprop("OnFatalErrorPolicy", tt.policy), sprop("SubscriptionState", uint16(2)))
			e, hook := newEngine(t, store, time.Millisecond, time.Millisecond, time.Millisecond)
			e.Indicate(context.Background(), "root/cimv2", alert(2, "lost"))
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if err := e.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if c := l.calls.Load(); c != 4 {
				t.Errorf("%d attempts, want 4 (one and three retries)", c)
			}
			inst, err := store.Instance(interop, sub)
			if tt.wantState == "gone" {
				if err == nil {
					t.Fatalf("the subscription is still there: %+v", inst)
				}
				return
			}
			if err != nil {
				t.Fatalf("the subscription is gone: %v", err)
			}
			if got := inst.Property("SubscriptionState").Value; got != tt.wantState {
				t.Errorf("SubscriptionState = %#v, want %#v", got, tt.wantState)
			}
			if !logged(hook, "indication not delivered") {
				t.Error("the lost indication was not logged")
			}
		})
	}
}

func logged(hook *test.Hook, msg string) bool {
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}

// TestSlowListenerBlocksNoOther holds one listener's requests and checks that
// another listener still gets its indications.
func TestSlowListenerBlocksNoOther(t *testing.T) {
	store, d := newStore(t)
	slow, fast := newListener(t), newListener(t)
	slow.hold = make(chan struct{})
	subscribe(t, d, "slow", "WQL", "SELECT * FROM CIM_AlertIndication", nil, slow.srv.URL)
	subscribe(t, d, "fast", "WQL", "SELECT * FROM CIM_AlertIndication", nil, fast.srv.URL)
	e, _ := newEngine(t, store)
	for i := range 3 {
		e.Indicate(context.Background(), "root/cimv2", alert(2, fmt.Sprint(i)))
	}
	for i := range 3 {
		if got := description(fast.next(t)); got != fmt.Sprint(i) {
			t.Fatalf("fast listener got %q, want %d", got, i)
		}
	}
	close(slow.hold)
	for i := range 3 {
		if got := description(slow.next(t)); got != fmt.Sprint(i) {
			t.Fatalf("slow listener got %q, want %d", got, i)
		}
	}
}

func TestDisabledAndBrokenSubscriptionsSkipped(t *testing.T) {
	store, d := newStore(t)
	l := newListener(t)
	subscribe(t, d, "disabled", "WQL", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL, sprop("SubscriptionState", uint16(4)))
	subscribe(t, d, "bad query", "WQL", "SELECT FROM WHERE", nil, l.srv.URL)
	subscribe(t, d, "bad language", "XPath", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL)
	subscribe(t, d, "good", "WQL", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL)
	e, hook := newEngine(t, store)
	e.Indicate(context.Background(), "root/cimv2", alert(2, "one"))
	e.Indicate(context.Background(), "root/cimv2", alert(2, "two"))
	for _, want := range []string{"one", "two"} {
		got := l.next(t)
		if description(got) != want || got.Property("IndicationFilterName").Value != "good" {
			t.Fatalf("got %q by filter %v, want %q by the good one", description(got), got.Property("IndicationFilterName").Value, want)
		}
	}
	skipped := 0
	for _, en := range hook.AllEntries() {
		if strings.Contains(en.Message, "filter skipped") {
			skipped++
		}
	}
	if skipped != 2 {
		t.Errorf("%d skip warnings, want 2 (one per bad filter, not per indication)", skipped)
	}
}

func TestCloseDrains(t *testing.T) {
	store, d := newStore(t)
	l := newListener(t)
	subscribe(t, d, "f", "WQL", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL)
	e, _ := newEngine(t, store)
	for i := range 5 {
		e.Indicate(context.Background(), "root/cimv2", alert(2, fmt.Sprint(i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(l.got); n != 5 {
		t.Fatalf("%d indications delivered before Close returned, want 5", n)
	}
	e.Indicate(context.Background(), "root/cimv2", alert(2, "late")) // dropped, no panic
	if err := e.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestCloseDeadline checks that Close gives up on a listener that never answers.
func TestCloseDeadline(t *testing.T) {
	store, d := newStore(t)
	l := newListener(t)
	l.hold = make(chan struct{})
	subscribe(t, d, "f", "WQL", "SELECT * FROM CIM_AlertIndication", nil, l.srv.URL)
	e, _ := newEngine(t, store)
	e.Indicate(context.Background(), "root/cimv2", alert(2, "stuck"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the request is at the listener, so that Close must abandon it.
		<-l.arrived
		cancel()
	}()
	if err := e.Close(ctx); err == nil {
		t.Fatal("Close returned nil although the delivery was still going on")
	}
}
