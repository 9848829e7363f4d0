package cimclient_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimclient"
	"github.com/shypecim/shypecim/cimom/cimxml"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
	"github.com/shypecim/shypecim/providers/interop"
)

const ns = "root/cimv2"

// server is the real stack in-process: the embedded schema in a repository, the
// dispatcher with the interop provider, the HTTP handler. It records the headers of
// the last request.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	last http.Header
}

func (s *server) lastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func newServer(t testing.TB, auth cimom.Authenticator) *server {
	t.Helper()
	repo := repository.New()
	if err := repo.Load(func(l *repository.Loader) error {
		_, err := schema.Load(l, "", schema.Namespaces...)
		return err
	}); err != nil {
		t.Fatalf("loading the schema: %v", err)
	}
	d := dispatch.New(repo, dispatch.Options{})
	t.Cleanup(func() { _ = d.Close() })
	for _, r := range interop.New(interop.Options{Namespaces: repo, Lookup: repo.Class, SystemName: "testhost"}).Registrations() {
		if err := d.Register(r); err != nil {
			t.Fatal(err)
		}
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	h := cimom.New(d, cimom.Options{Logger: logrus.NewEntry(log), Authenticator: auth})
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.last = r.Header.Clone()
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func newClient(t testing.TB, rawURL string, opts ...cimclient.Option) *cimclient.Client {
	t.Helper()
	c, err := cimclient.New(rawURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// allTypes is a class with a property of every CIM type, scalar and array.
func allTypes() *cim.Class {
	key := cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride}}
	c := &cim.Class{Name: "TST_AllTypes", Properties: []cim.Property{{Name: "Id", Type: cim.TypeString, Qualifiers: key}}}
	for t := cim.TypeBoolean; t <= cim.TypeDatetime; t++ {
		c.Properties = append(c.Properties,
			cim.Property{Name: "P" + t.String(), Type: t},
			cim.Property{Name: "A" + t.String(), Type: t, IsArray: true})
	}
	c.Properties = append(c.Properties, cim.Property{Name: "Emb", Type: cim.TypeString,
		Qualifiers: cim.Qualifiers{{Name: "EmbeddedInstance", Type: cim.TypeString, Value: "TST_AllTypes"}}})
	return c
}

// sample returns an instance of TST_AllTypes with a value in every property.
func sample(id string, emb *cim.Instance) *cim.Instance {
	vals := map[cim.Type]any{
		cim.TypeBoolean: true, cim.TypeUint8: uint8(255), cim.TypeSint8: int8(-128),
		cim.TypeUint16: uint16(65535), cim.TypeSint16: int16(-32768), cim.TypeUint32: uint32(4294967295),
		cim.TypeSint32: int32(-2147483648), cim.TypeUint64: uint64(18446744073709551615),
		cim.TypeSint64: int64(-9223372036854775808), cim.TypeReal32: float32(1.5), cim.TypeReal64: 2.25e-300,
		cim.TypeChar16: cim.Char16('é'), cim.TypeString: "a <b> & \"c\" ünï",
		cim.TypeDatetime: cim.Datetime("20261123142800.123456+060"),
	}
	in := &cim.Instance{ClassName: "TST_AllTypes", Properties: []cim.Property{{Name: "Id", Type: cim.TypeString, Value: id}}}
	for t := cim.TypeBoolean; t <= cim.TypeDatetime; t++ {
		in.Properties = append(in.Properties,
			cim.Property{Name: "P" + t.String(), Type: t, Value: vals[t]},
			cim.Property{Name: "A" + t.String(), Type: t, IsArray: true, Value: []any{vals[t], nil, vals[t]}})
	}
	var ev any
	if emb != nil {
		ev = emb
	}
	in.Properties = append(in.Properties, cim.Property{Name: "Emb", Type: cim.TypeString, Value: ev})
	return in
}

// checkInstance compares every property of got with want by value.
func checkInstance(t *testing.T, got, want *cim.Instance) {
	t.Helper()
	if !strings.EqualFold(got.ClassName, want.ClassName) {
		t.Errorf("class %s, want %s", got.ClassName, want.ClassName)
	}
	for _, wp := range want.Properties {
		gp := got.Property(wp.Name)
		if gp == nil {
			t.Errorf("property %s missing", wp.Name)
			continue
		}
		if we, ok := wp.Value.(*cim.Instance); ok {
			ge, ok := gp.Value.(*cim.Instance)
			if !ok {
				t.Errorf("property %s = %#v, want an embedded instance", wp.Name, gp.Value)
				continue
			}
			checkInstance(t, ge, we)
			continue
		}
		if gp.Type != wp.Type || !cim.EqualValues(gp.Value, wp.Value) {
			t.Errorf("property %s = %s %#v, want %s %#v", wp.Name, gp.Type, gp.Value, wp.Type, wp.Value)
		}
	}
}

func setup(t *testing.T) (*server, *cimclient.Client) {
	t.Helper()
	s := newServer(t, nil)
	c := newClient(t, s.URL)
	ctx := context.Background()
	if _, err := c.Do(ctx, &cim.CreateClass{Base: cim.Base{Namespace: ns}, NewClass: allTypes()}); err != nil {
		t.Fatalf("CreateClass = %v", err)
	}
	link := &cim.Class{Name: "TST_Link", Qualifiers: cim.Qualifiers{{Name: "Association", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride}},
		Properties: []cim.Property{
			{Name: "Left", Type: cim.TypeReference, ReferenceClass: "TST_AllTypes", Qualifiers: cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride}}},
			{Name: "Right", Type: cim.TypeReference, ReferenceClass: "TST_AllTypes", Qualifiers: cim.Qualifiers{{Name: "Key", Type: cim.TypeBoolean, Value: true, Flavor: cim.DisableOverride}}},
		}}
	if _, err := c.Do(ctx, &cim.CreateClass{Base: cim.Base{Namespace: ns}, NewClass: link}); err != nil {
		t.Fatalf("CreateClass association = %v", err)
	}
	return s, c
}

func TestClasses(t *testing.T) {
	s, c := setup(t)
	ctx := context.Background()
	got, err := c.GetClass(ctx, ns, "TST_AllTypes")
	if err != nil {
		t.Fatal(err)
	}
	want := allTypes()
	if len(got.Properties) != len(want.Properties) {
		t.Fatalf("%d properties, want %d", len(got.Properties), len(want.Properties))
	}
	for _, wp := range want.Properties {
		gp := got.Property(wp.Name)
		if gp == nil || gp.Type != wp.Type || gp.IsArray != wp.IsArray || gp.ClassOrigin != "TST_AllTypes" {
			t.Errorf("property %s = %+v, want type %s array %v", wp.Name, gp, wp.Type, wp.IsArray)
		}
	}
	if !got.Property("Id").IsKey() {
		t.Error("Id lost its Key qualifier")
	}
	h := s.lastHeader()
	for k, v := range map[string]string{"CIMOperation": "MethodCall", "CIMMethod": "GetClass", "CIMObject": "root/cimv2", "CIMProtocolVersion": "1.0"} {
		if h.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, h.Get(k), v)
		}
	}

	sys, err := c.GetClass(ctx, ns, "Xen_ComputerSystem")
	if err != nil {
		t.Fatal(err)
	}
	if p := sys.Property("Name"); p == nil || !p.Propagated {
		t.Errorf("inherited property Name = %+v, want it propagated", p)
	}
}

func TestInstances(t *testing.T) {
	s, c := setup(t)
	ctx := context.Background()
	p1, err := c.CreateInstance(ctx, ns, sample("one", nil))
	if err != nil {
		t.Fatalf("CreateInstance = %v", err)
	}
	if p1.Namespace != ns || p1.ClassName != "TST_AllTypes" {
		t.Errorf("path = %v", p1)
	}
	want2 := sample("two \"quoted\" é", sample("inner", nil))
	p2, err := c.CreateInstance(ctx, ns, want2)
	if err != nil {
		t.Fatalf("CreateInstance = %v", err)
	}

	got, err := c.GetInstance(ctx, p2)
	if err != nil {
		t.Fatalf("GetInstance = %v", err)
	}
	checkInstance(t, got, want2)

	objs, err := c.EnumerateInstances(ctx, ns, "TST_AllTypes")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Fatalf("%d instances, want 2", len(objs))
	}
	for _, o := range objs {
		if o.Path == nil || o.Path.Namespace != ns {
			t.Fatalf("path %v lacks the namespace", o.Path)
		}
		id, _ := o.Path.Key("Id")
		want := sample("one", nil)
		if id != "one" {
			want = want2
		}
		checkInstance(t, o.Instance, want)
		// The returned path works in a later request.
		if _, err := c.GetInstance(ctx, o.Path); err != nil {
			t.Errorf("GetInstance of an enumerated path = %v", err)
		}
	}

	names, err := c.EnumerateInstanceNames(ctx, ns, "TST_AllTypes")
	if err != nil || len(names) != 2 {
		t.Fatalf("EnumerateInstanceNames = %v, %v", names, err)
	}

	if err := c.DeleteInstance(ctx, p1); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetInstance(ctx, p1)
	if !errors.Is(err, &cim.Error{Code: cim.StatusNotFound}) {
		t.Errorf("GetInstance of a deleted instance = %v, want CIM_ERR_NOT_FOUND", err)
	}
	if h := s.lastHeader(); h.Get("CIMMethod") != "GetInstance" || h.Get("CIMObject") != "root/cimv2" {
		t.Errorf("headers %v", h)
	}
}

func TestAssociatorsAndPull(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	var paths []*cim.ObjectPath
	for _, id := range []string{"a", "b", "c"} {
		p, err := c.CreateInstance(ctx, ns, sample(id, nil))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, right := range paths[1:] {
		link := &cim.Instance{ClassName: "TST_Link", Properties: []cim.Property{
			{Name: "Left", Type: cim.TypeReference, Value: paths[0]},
			{Name: "Right", Type: cim.TypeReference, Value: right},
		}}
		if _, err := c.CreateInstance(ctx, ns, link); err != nil {
			t.Fatalf("CreateInstance link = %v", err)
		}
	}
	objs, err := c.Associators(ctx, paths[0], "TST_Link", "")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[any]bool{}
	for _, o := range objs {
		id, _ := o.Path.Key("Id")
		ids[id] = true
		if o.Instance == nil || o.Path.Namespace != ns {
			t.Errorf("associator %v without instance or namespace", o.Path)
		}
	}
	if len(objs) != 2 || !ids["b"] || !ids["c"] {
		t.Errorf("associators %v, want b and c", ids)
	}
	links, err := c.EnumerateInstances(ctx, ns, "TST_Link")
	if err != nil || len(links) != 2 {
		t.Fatalf("links = %v, %v", links, err)
	}
	for _, l := range links {
		left := l.Instance.Property("Left")
		if left == nil || left.Type != cim.TypeReference || !paths[0].Equal(left.Value.(*cim.ObjectPath)) {
			t.Errorf("Left = %+v, want %v", left, paths[0])
		}
		if _, err := c.GetInstance(ctx, l.Path); err != nil {
			t.Errorf("GetInstance of a link by its path with reference keys = %v", err)
		}
	}

	names, err := c.AssociatorNames(ctx, paths[0], "TST_Link", "TST_AllTypes")
	if err != nil || len(names) != 2 || names[0].Namespace == "" {
		t.Errorf("AssociatorNames = %v, %v", names, err)
	}

	mod := sample("b", nil)
	mod.Properties = []cim.Property{{Name: "Id", Type: cim.TypeString, Value: "b"}, {Name: "Puint8", Type: cim.TypeUint8, Value: uint8(7)}}
	if err := c.ModifyInstance(ctx, paths[1], mod, cim.PropertyList{"Puint8"}); err != nil {
		t.Fatalf("ModifyInstance = %v", err)
	}
	got, err := c.ExecQuery(ctx, ns, "WQL", "SELECT Id, Puint8 FROM TST_AllTypes WHERE Puint8 = 7")
	if err != nil {
		t.Fatalf("ExecQuery = %v", err)
	}
	if len(got) != 1 || got[0].Instance == nil {
		t.Fatalf("ExecQuery = %+v, want b", got)
	}
	if id := got[0].Instance.Property("Id"); id == nil || id.Value != "b" {
		t.Errorf("ExecQuery found %+v, want b", got[0].Instance)
	}

	// A pull sequence, one instance at a time.
	base := cim.Base{Namespace: ns}
	res, err := c.Do(ctx, &cim.OpenEnumerateInstances{Base: base, ClassName: "TST_AllTypes", DeepInheritance: true,
		PullOptions: cim.PullOptions{MaxObjectCount: 1}})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for round := 0; ; round++ {
		got, err := cimclient.Collect(res)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range got {
			if o.Path == nil || o.Instance == nil {
				t.Fatalf("pulled %+v", o)
			}
		}
		seen += len(got)
		if res.EndOfSequence {
			break
		}
		if res.EnumerationContext == "" || round > 5 {
			t.Fatalf("round %d: context %q, not at the end", round, res.EnumerationContext)
		}
		res, err = c.Do(ctx, &cim.PullInstancesWithPath{Base: base, EnumerationContext: res.EnumerationContext, MaxObjectCount: 1})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen != 3 {
		t.Errorf("pulled %d instances, want 3", seen)
	}
}

func TestInvokeMethod(t *testing.T) {
	s, c := setup(t)
	ctx := context.Background()
	profiles, err := c.EnumerateInstanceNames(ctx, "interop", "CIM_RegisteredProfile")
	if err != nil || len(profiles) == 0 {
		t.Fatalf("registered profiles = %v, %v", profiles, err)
	}
	ret, out, err := c.InvokeMethod(ctx, profiles[0], "GetCentralInstances", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ret != uint8(0) {
		t.Errorf("return value %#v, want uint8 0", ret)
	}
	if len(out) != 1 || out[0].Name != "CentralInstances" || out[0].Type != cim.TypeReference || !out[0].IsArray {
		t.Fatalf("out params %+v", out)
	}
	refs, _ := out[0].Value.([]any)
	if len(refs) != 1 {
		t.Fatalf("central instances %#v, want the object manager", out[0].Value)
	}
	ref, ok := refs[0].(*cim.ObjectPath)
	if !ok || !strings.EqualFold(ref.ClassName, "CIM_ObjectManager") {
		t.Fatalf("central instance %#v", refs[0])
	}
	if _, err := c.GetInstance(ctx, ref); err != nil {
		t.Errorf("GetInstance of the central instance = %v", err)
	}
	// The CIMObject of the calls is the target path, which the server accepts.
	_, _, err = c.InvokeMethod(ctx, profiles[0], "NoSuchMethod", nil)
	if cim.StatusOf(err) != cim.StatusMethodNotAvailable && cim.StatusOf(err) != cim.StatusMethodNotFound {
		t.Errorf("unknown method = %v", err)
	}
	if got := s.lastHeader().Get("CIMMethod"); got != "NoSuchMethod" {
		t.Errorf("CIMMethod = %q", got)
	}
	if got := s.lastHeader().Get("CIMObject"); !strings.HasPrefix(got, "interop:CIM_RegisteredProfile.InstanceID=%22") {
		t.Errorf("CIMObject = %q, want the percent-encoded target path", got)
	}
}

func TestErrors(t *testing.T) {
	s, c := setup(t)
	ctx := context.Background()

	_, err := c.GetClass(ctx, ns, "TST_Nothing")
	var ce *cim.Error
	if !errors.As(err, &ce) || ce.Code != cim.StatusNotFound || !strings.Contains(ce.Description, "TST_Nothing") {
		t.Errorf("GetClass of a missing class = %v, want CIM_ERR_NOT_FOUND naming the class", err)
	}

	_, err = c.GetClass(ctx, "no/such/ns", "TST_AllTypes")
	if cim.StatusOf(err) != cim.StatusInvalidNamespace {
		t.Errorf("GetClass in a missing namespace = %v", err)
	}

	wrong := newClient(t, s.URL+"/wrong")
	_, err = wrong.GetClass(ctx, ns, "TST_AllTypes")
	var he *cimclient.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusNotFound || !strings.Contains(err.Error(), "404") {
		t.Errorf("wrong path = %v, want an HTTP 404 error", err)
	}

	if _, err := c.Do(ctx, &cim.GetInstance{Base: cim.Base{Namespace: ns}}); err == nil {
		t.Error("GetInstance without a path: no error")
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	if _, err := newClient(t, url).GetClass(ctx, ns, "A"); err == nil {
		t.Error("closed server: no error")
	}
}

func TestBasicAuth(t *testing.T) {
	auth := cimom.AuthenticatorFunc(func(r *http.Request) (string, bool) {
		u, p, ok := r.BasicAuth()
		return u, ok && u == "admin" && p == "s3cret"
	})
	s := newServer(t, auth)
	ctx := context.Background()
	tests := []struct {
		name   string
		client *cimclient.Client
		ok     bool
	}{
		{"option", newClient(t, s.URL, cimclient.WithAuth("admin", "s3cret")), true},
		{"url", newClient(t, strings.Replace(s.URL, "http://", "http://admin:s3cret@", 1)), true},
		{"wrong", newClient(t, s.URL, cimclient.WithAuth("admin", "nope")), false},
		{"none", newClient(t, s.URL), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.GetClass(ctx, "interop", "CIM_ObjectManager")
			if tt.ok != (err == nil) {
				t.Fatalf("GetClass = %v, want success %v", err, tt.ok)
			}
			var he *cimclient.HTTPError
			if !tt.ok && (!errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized) {
				t.Errorf("error %v, want HTTP 401", err)
			}
			if tt.ok {
				if u, p, ok := (&http.Request{Header: s.lastHeader()}).BasicAuth(); !ok || u != "admin" || p != "s3cret" {
					t.Errorf("Authorization header = %q", s.lastHeader().Get("Authorization"))
				}
			}
		})
	}
}

// TestOddResponses runs the client against hand-written servers: a failure reported
// in the trailer, a body that is not CIM-XML, a refusal with a CIMError header.
func TestOddResponses(t *testing.T) {
	const okBody = `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0">` +
		`<SIMPLERSP><IMETHODRESPONSE NAME="EnumerateInstanceNames"><IRETURNVALUE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(error) bool
	}{
		{"trailer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "CIMStatusCode, CIMStatusCodeDescription")
			_, _ = io.WriteString(w, okBody)
			w.Header().Set("CIMStatusCode", "4")
			w.Header().Set("CIMStatusCodeDescription", "stream%20broke")
		}, func(err error) bool {
			var ce *cim.Error
			return errors.As(err, &ce) && ce.Code == cim.StatusInvalidParameter && ce.Description == "stream broke"
		}},
		{"not xml", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "<html>hello</html>")
		}, func(err error) bool {
			var re *cimxml.ResponseError
			return errors.As(err, &re)
		}},
		{"refused", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("CIMError", "request-not-valid")
			w.WriteHeader(http.StatusBadRequest)
		}, func(err error) bool {
			var he *cimclient.HTTPError
			return errors.As(err, &he) && he.StatusCode == 400 && he.CIMError == "request-not-valid" &&
				strings.Contains(err.Error(), "request-not-valid")
		}},
		{"ok", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, okBody)
		}, func(err error) bool { return err == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := newClient(t, srv.URL).EnumerateInstanceNames(context.Background(), ns, "X")
			if !tt.check(err) {
				t.Errorf("error %v (%T)", err, err)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"http://h:5988", "http://h:5988/cimom", true},
		{"http://h:5988/", "http://h:5988/cimom", true},
		{"https://h/other", "https://h/other", true},
		{"ftp://h", "", false},
		{"http://", "", false},
		{"::", "", false},
	}
	for _, tt := range tests {
		c, err := cimclient.New(tt.raw)
		if tt.ok != (err == nil) {
			t.Errorf("New(%q) = %v, want success %v", tt.raw, err, tt.ok)
			continue
		}
		if tt.ok && c.URL.String() != tt.want {
			t.Errorf("New(%q).URL = %s, want %s", tt.raw, c.URL, tt.want)
		}
	}
}

func BenchmarkGetInstance(b *testing.B) {
	s := newServer(b, nil)
	c := newClient(b, s.URL)
	ctx := context.Background()
	objs, err := c.EnumerateInstanceNames(ctx, "interop", "CIM_ObjectManager")
	if err != nil || len(objs) == 0 {
		b.Fatal(objs, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetInstance(ctx, objs[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrent: one Client serves many goroutines at once.
func TestConcurrent(t *testing.T) {
	s := newServer(t, nil)
	c := newClient(t, s.URL)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := c.GetClass(context.Background(), "interop", "CIM_ObjectManager")
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
