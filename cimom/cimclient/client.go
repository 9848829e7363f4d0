package cimclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimxml"
)

// Client talks CIM-XML to one WBEM server. Its fields may be set after New and
// before the first call; a Client is then safe for concurrent use.
type Client struct {
	// URL is the server's CIM endpoint, such as http://host:5988/cimom.
	URL *url.URL
	// User and Password are sent with Basic authentication when User is set.
	User, Password string
	// HTTP sends the requests; nil means http.DefaultClient.
	HTTP *http.Client

	seq atomic.Uint64 // MESSAGE IDs
}

// Option configures a Client in New.
type Option func(*Client)

// WithAuth sets the credentials sent with Basic authentication.
func WithAuth(user, password string) Option {
	return func(c *Client) { c.User, c.Password = user, password }
}

// WithHTTPClient sets the HTTP client that sends the requests.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) { c.HTTP = h }
}

// New returns a client of the server at rawURL: http or https, host and port
// (http://host:5988), with the path /cimom when it has none. Credentials in the URL
// (http://user:pw@host:5988) become User and Password; options apply after them.
func New(rawURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("cimclient: server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("cimclient: server URL %q: want an http or https URL", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("cimclient: server URL %q has no host", rawURL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/cimom"
	}
	c := &Client{URL: u}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
		u.User = nil // the credentials go in the header, not in every logged URL
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// HTTPError is an HTTP response other than 200 OK, such as 401 without valid
// credentials, 404 at a wrong path, or 400 with CIMError request-not-valid.
type HTTPError struct {
	StatusCode int    // such as 404
	Status     string // such as "404 Not Found"
	CIMError   string // the CIMError header, "" when absent
}

// Error names the status and the CIMError header.
func (e *HTTPError) Error() string {
	if e.CIMError != "" {
		return fmt.Sprintf("cimclient: HTTP %s (CIMError: %s)", e.Status, e.CIMError)
	}
	return "cimclient: HTTP " + e.Status
}

// Do sends op and returns its result. Errors: a *cim.Error for an ERROR element or a
// failure reported in the response's trailer, an *HTTPError for a status other than
// 200, a *cimxml.ResponseError for a response that is not CIM-XML, else the
// transport's error wrapped. The result's Objects are decoded already and may be
// ranged over once.
func (c *Client) Do(ctx context.Context, op cim.Op) (*cim.Result, error) {
	if op == nil {
		return nil, errors.New("cimclient: no operation")
	}
	var body bytes.Buffer
	id := strconv.FormatUint(c.seq.Add(1), 10)
	if err := cimxml.EncodeRequest(&body, id, op); err != nil {
		return nil, fmt.Errorf("cimclient: %s: %w", op.OpName(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL.String(), &body)
	if err != nil {
		return nil, fmt.Errorf("cimclient: %w", err)
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header.Set("Accept", "application/xml")
	req.Header.Set("TE", "trailers") // a failure while streaming is then reported
	req.Header.Set("CIMProtocolVersion", "1.0")
	req.Header.Set("CIMOperation", "MethodCall")
	req.Header.Set("CIMMethod", escape(op.OpName()))
	req.Header.Set("CIMObject", escape(cimObject(op)))
	if c.User != "" {
		req.SetBasicAuth(c.User, c.Password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cimclient: %s: %w", op.OpName(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection reusable
		return nil, &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status, CIMError: resp.Header.Get("CIMError")}
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("cimclient: %s: reading the response: %w", op.OpName(), err)
	}
	// A response that failed while streaming says so in its trailer (DSP0200 §7.4).
	if code := resp.Trailer.Get("CIMStatusCode"); code != "" && code != "0" {
		n, _ := strconv.Atoi(code)
		if n <= 0 {
			n = int(cim.StatusFailed)
		}
		desc, _ := url.PathUnescape(resp.Trailer.Get("CIMStatusCodeDescription"))
		return nil, &cim.Error{Code: cim.Status(n), Description: desc}
	}
	method := op.OpName()
	res, err := cimxml.DecodeResponse(bytes.NewReader(data), method)
	if err != nil {
		return nil, err
	}
	fillNamespaces(res, op.NamespaceName())
	return res, nil
}

// cimObject is the CIMObject header value: the namespace of an intrinsic call, the
// target path (namespace:class[.keys]) of an extrinsic one.
func cimObject(op cim.Op) string {
	im, ok := op.(*cim.InvokeMethod)
	if !ok || im.Target == nil {
		return op.NamespaceName()
	}
	t := *im.Target
	t.Host = ""
	if t.Namespace == "" {
		t.Namespace = im.Namespace
	}
	return t.String()
}

// escape percent-encodes a header value as DSP0200 §4.3 asks: UTF-8, with the
// characters outside the URI unreserved set as %XX, except the separators of a
// path ('/', ':', '.', '=', ',') which URIs allow literally.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/', c == ':', c == '=', c == ',':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// fillNamespaces gives paths without a namespace (INSTANCENAME, CLASSNAME in the
// response) the request's namespace.
func fillNamespaces(res *cim.Result, ns string) {
	fix := func(p *cim.ObjectPath) {
		if p != nil && p.Namespace == "" {
			p.Namespace = ns
		}
	}
	fix(res.Path)
	if res.Objects == nil {
		return
	}
	var objs []cim.Object
	for o, err := range res.Objects {
		if err != nil {
			break // a decoded list yields no errors
		}
		fix(o.Path)
		objs = append(objs, o)
	}
	res.Objects = cim.Objects(objs)
}

// Collect returns the items of res.Objects as a slice.
func Collect(res *cim.Result) ([]cim.Object, error) {
	var objs []cim.Object
	if res == nil || res.Objects == nil {
		return objs, nil
	}
	for o, err := range res.Objects {
		if err != nil {
			return objs, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// GetClass returns class name of namespace ns with all its properties (LocalOnly
// false), qualifiers and class origins.
func (c *Client) GetClass(ctx context.Context, ns, name string) (*cim.Class, error) {
	res, err := c.Do(ctx, &cim.GetClass{Base: cim.Base{Namespace: ns}, ClassName: name,
		ClassFlags: cim.ClassFlags{IncludeQualifiers: true, IncludeClassOrigin: true}})
	if err != nil {
		return nil, err
	}
	if res.Class == nil {
		return nil, fmt.Errorf("cimclient: GetClass %s: the response holds no class", name)
	}
	return res.Class, nil
}

// GetInstance returns the instance at path (whose namespace is the target) with all
// its properties.
func (c *Client) GetInstance(ctx context.Context, path *cim.ObjectPath) (*cim.Instance, error) {
	if path == nil {
		return nil, errors.New("cimclient: GetInstance without a path")
	}
	res, err := c.Do(ctx, &cim.GetInstance{Base: cim.Base{Namespace: path.Namespace}, InstanceName: path})
	if err != nil {
		return nil, err
	}
	if res.Instance == nil {
		return nil, fmt.Errorf("cimclient: GetInstance %s: the response holds no instance", path)
	}
	return res.Instance, nil
}

// EnumerateInstances returns the instances of class and its subclasses in
// namespace ns, each with its path (namespace set) and all its properties.
func (c *Client) EnumerateInstances(ctx context.Context, ns, class string) ([]cim.Object, error) {
	res, err := c.Do(ctx, &cim.EnumerateInstances{Base: cim.Base{Namespace: ns}, ClassName: class, DeepInheritance: true})
	if err != nil {
		return nil, err
	}
	return Collect(res)
}

// EnumerateInstanceNames returns the paths of the instances of class and its
// subclasses in namespace ns.
func (c *Client) EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error) {
	res, err := c.Do(ctx, &cim.EnumerateInstanceNames{Base: cim.Base{Namespace: ns}, ClassName: class})
	if err != nil {
		return nil, err
	}
	objs, err := Collect(res)
	paths := make([]*cim.ObjectPath, 0, len(objs))
	for _, o := range objs {
		paths = append(paths, o.Path)
	}
	return paths, err
}

// CreateInstance creates inst in namespace ns and returns its path.
func (c *Client) CreateInstance(ctx context.Context, ns string, inst *cim.Instance) (*cim.ObjectPath, error) {
	res, err := c.Do(ctx, &cim.CreateInstance{Base: cim.Base{Namespace: ns}, NewInstance: inst})
	if err != nil {
		return nil, err
	}
	if res.Path == nil {
		return nil, errors.New("cimclient: CreateInstance: the response holds no path")
	}
	return res.Path, nil
}

// DeleteInstance deletes the instance at path.
func (c *Client) DeleteInstance(ctx context.Context, path *cim.ObjectPath) error {
	if path == nil {
		return errors.New("cimclient: DeleteInstance without a path")
	}
	_, err := c.Do(ctx, &cim.DeleteInstance{Base: cim.Base{Namespace: path.Namespace}, InstanceName: path})
	return err
}

// Associators returns the instances associated with the instance at path through
// assocClass ("" for any), each with its path.
func (c *Client) Associators(ctx context.Context, path *cim.ObjectPath, assocClass, resultClass string) ([]cim.Object, error) {
	if path == nil {
		return nil, errors.New("cimclient: Associators without a path")
	}
	res, err := c.Do(ctx, &cim.Associators{Base: cim.Base{Namespace: path.Namespace}, ObjectName: path,
		AssocClass: assocClass, ResultClass: resultClass})
	if err != nil {
		return nil, err
	}
	return Collect(res)
}

// InvokeMethod calls method on target (an instance path, or a class path for a
// static method; its namespace is the target's) with the input parameters in, and
// returns the return value and the output parameters, typed as the server's
// PARAMTYPE says; embedded instances are *cim.Instance values.
func (c *Client) InvokeMethod(ctx context.Context, target *cim.ObjectPath, method string, in []cim.ParamValue) (ret any, out []cim.ParamValue, err error) {
	if target == nil {
		return nil, nil, errors.New("cimclient: InvokeMethod without a target")
	}
	res, err := c.Do(ctx, &cim.InvokeMethod{Base: cim.Base{Namespace: target.Namespace}, Target: target,
		MethodName: method, Params: in})
	if err != nil {
		return nil, nil, err
	}
	return res.ReturnValue, res.OutParams, nil
}

// AssociatorNames returns the paths of the objects associated with the object at
// path through assocClass ("" for any), of resultClass ("" for any).
func (c *Client) AssociatorNames(ctx context.Context, path *cim.ObjectPath, assocClass, resultClass string) ([]*cim.ObjectPath, error) {
	if path == nil {
		return nil, errors.New("cimclient: AssociatorNames without a path")
	}
	res, err := c.Do(ctx, &cim.AssociatorNames{Base: cim.Base{Namespace: path.Namespace}, ObjectName: path,
		AssocClass: assocClass, ResultClass: resultClass})
	if err != nil {
		return nil, err
	}
	objs, err := Collect(res)
	paths := make([]*cim.ObjectPath, 0, len(objs))
	for _, o := range objs {
		paths = append(paths, o.Path)
	}
	return paths, err
}

// ModifyInstance replaces the properties of the instance at path with those of inst
// that propertyList names (nil: all of inst's).
func (c *Client) ModifyInstance(ctx context.Context, path *cim.ObjectPath, inst *cim.Instance, propertyList cim.PropertyList) error {
	if path == nil || inst == nil {
		return errors.New("cimclient: ModifyInstance without a path or an instance")
	}
	_, err := c.Do(ctx, &cim.ModifyInstance{Base: cim.Base{Namespace: path.Namespace}, InstanceName: path,
		ModifiedInstance: inst, PropertyList: propertyList})
	return err
}

// ExecQuery runs query in language lang ("WQL", "DMTF:CQL") in namespace ns and
// returns the matching instances, with their paths.
func (c *Client) ExecQuery(ctx context.Context, ns, lang, query string) ([]cim.Object, error) {
	res, err := c.Do(ctx, &cim.ExecQuery{Base: cim.Base{Namespace: ns}, QueryLanguage: lang, Query: query})
	if err != nil {
		return nil, err
	}
	return Collect(res)
}
