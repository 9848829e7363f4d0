package indication

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimxml"
	"github.com/shypecim/shypecim/cimom/query"
)

// The interop classes the engine reads.
const (
	ClassSubscription = "CIM_IndicationSubscription"
	ClassFilter       = "CIM_IndicationFilter"
)

// Subscription states and fatal error policies (CIM_AbstractIndicationSubscription).
const (
	stateEnabled  = 2
	stateDisabled = 4

	policyDisable = 3
	policyRemove  = 4
)

// Store is what the engine reads of the repository: the static instances of the
// interop namespace (*repository.Store satisfies it). The methods may be called
// from several goroutines at once.
type Store interface {
	// Instances returns the instances of class in namespace ns, with deep those of
	// its subclasses too.
	Instances(ns, class string, deep bool) ([]*cim.Instance, error)
	// Instance returns the instance of ns named by path.
	Instance(ns string, path *cim.ObjectPath) (*cim.Instance, error)
}

// StoreWriter is the optional part of a Store that OnFatalErrorPolicy Disable and
// Remove need; without it they act as Ignore.
type StoreWriter interface {
	ModifyInstance(ns string, inst *cim.Instance) error
	DeleteInstance(ns string, path *cim.ObjectPath) error
}

// Options configures New. The zero value of each field but Store has a default.
type Options struct {
	// Store holds the subscriptions, filters and destinations.
	Store Store
	// Lookup returns the resolved class of namespace ns, or nil; the engine walks
	// superclasses with it (ISA matching of the FROM class) and validates filter
	// queries against it. Without it a FROM class matches only by name.
	Lookup func(ns, class string) *cim.Class
	// Namespace is the interop namespace; "" means "interop".
	Namespace string
	// Logger; nil means logrus' standard logger.
	Logger logrus.FieldLogger
	// HTTPClient posts the export requests; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock of IndicationTime; nil means time.Now.
	Now func() time.Time
	// Retries are the waits before each new attempt of a failed delivery; nil means
	// 1 s, 2 s, 4 s (three retries). An empty non-nil slice means no retry.
	Retries []time.Duration
	// QueueSize bounds the indications waiting to be matched, and DestinationQueue
	// those waiting for each listener; 0 means 1024 and 256.
	QueueSize, DestinationQueue int
}

// Engine matches indications against subscriptions and delivers them. Build it
// with New and stop it with Close; its methods are safe for concurrent use.
type Engine struct {
	o      Options
	log    logrus.FieldLogger
	client *http.Client
	now    func() time.Time

	ctx    context.Context // canceled when Close gives up draining
	cancel context.CancelFunc

	mu     sync.RWMutex // guards closed against sends on in
	closed bool
	in     chan pending

	dispatched chan struct{} // closed when the dispatcher has ended

	// dests is touched only by the dispatcher goroutine.
	dests   map[string]*destination
	workers sync.WaitGroup

	qmu     sync.Mutex
	queries map[string]*compiled

	idPrefix string
	seq      atomic.Uint64
}

type pending struct {
	ns  string
	ind *cim.Instance
}

type compiled struct {
	q   *query.Query
	err error
}

// delivery is one indication for one listener, with the subscription it came by.
type delivery struct {
	ind      *cim.Instance
	sub      *cim.Instance
	subPath  *cim.ObjectPath
	url      string
	fatalPol uint16
}

type destination struct {
	url string
	q   chan delivery
}

// maxQueries bounds the cache of compiled filter queries.
const maxQueries = 1024

// DefaultRetries are the waits between delivery attempts when Options.Retries is nil.
var DefaultRetries = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// New starts an engine.
func New(o Options) *Engine {
	if o.Namespace == "" {
		o.Namespace = "interop"
	}
	if o.Retries == nil {
		o.Retries = DefaultRetries
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.DestinationQueue <= 0 {
		o.DestinationQueue = 256
	}
	e := &Engine{
		o:          o,
		log:        o.Logger,
		client:     o.HTTPClient,
		now:        o.Now,
		in:         make(chan pending, o.QueueSize),
		dispatched: make(chan struct{}),
		dests:      map[string]*destination{},
		queries:    map[string]*compiled{},
		idPrefix:   "shypecim:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":",
	}
	if e.log == nil {
		e.log = logrus.StandardLogger()
	}
	if e.client == nil {
		e.client = &http.Client{Timeout: 10 * time.Second}
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	go e.dispatch()
	return e
}

// Indicate enqueues ind, an indication of namespace ns, for matching and delivery
// (providers.IndicationSink). It fills IndicationIdentifier and IndicationTime when
// they are NULL, and owns ind afterwards. It never blocks: with a full queue, or
// after Close, the indication is dropped with a warning.
func (e *Engine) Indicate(_ context.Context, ns string, ind *cim.Instance) {
	if ind == nil {
		return
	}
	e.fill(ind)
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		e.log.WithField("class", ind.ClassName).Debug("indication after shutdown dropped")
		return
	}
	select {
	case e.in <- pending{ns: ns, ind: ind}:
	default:
		e.log.WithField("class", ind.ClassName).Warn("indication queue full: indication dropped")
	}
}

// fill sets IndicationIdentifier and IndicationTime when they are NULL.
func (e *Engine) fill(ind *cim.Instance) {
	setIfNull(ind, "IndicationIdentifier", cim.TypeString, e.idPrefix+strconv.FormatUint(e.seq.Add(1), 10))
	setIfNull(ind, "IndicationTime", cim.TypeDatetime, Datetime(e.now()))
}

func setIfNull(ind *cim.Instance, name string, t cim.Type, v any) {
	if p := ind.Property(name); p != nil {
		if p.Value == nil {
			p.Value = v
			if p.Type == cim.TypeInvalid {
				p.Type = t
			}
		}
		return
	}
	ind.Properties = append(ind.Properties, cim.Property{Name: name, Type: t, Value: v})
}

// Datetime is t as a CIM datetime timestamp in UTC: yyyymmddhhmmss.mmmmmm+000.
func Datetime(t time.Time) cim.Datetime {
	t = t.UTC()
	return cim.Datetime(fmt.Sprintf("%s.%06d+000", t.Format("20060102150405"), t.Nanosecond()/1000))
}

// Close stops taking indications and delivers those already queued until ctx ends;
// then it abandons the rest and returns ctx's error.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.in)
	}
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		<-e.dispatched
		e.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		e.cancel()
		return nil
	case <-ctx.Done():
		e.cancel()
		<-done
		return ctx.Err()
	}
}

// dispatch matches each queued indication and hands it to its listeners' queues.
func (e *Engine) dispatch() {
	defer close(e.dispatched)
	defer func() {
		for _, d := range e.dests {
			close(d.q)
		}
	}()
	for p := range e.in {
		e.route(p.ns, p.ind)
	}
}

// route delivers ind to every enabled subscription that selects it.
func (e *Engine) route(ns string, ind *cim.Instance) {
	subs, err := e.o.Store.Instances(e.o.Namespace, ClassSubscription, true)
	if err != nil {
		e.log.WithError(err).Warn("reading the indication subscriptions")
		return
	}
	for _, sub := range subs {
		if st := uintProp(sub, "SubscriptionState"); st != 0 && st != stateEnabled {
			continue
		}
		filter, handler := e.resolve(sub)
		if filter == nil || handler == nil {
			continue
		}
		out, ok := e.match(ns, ind, filter)
		if !ok {
			continue
		}
		url := destinationURL(handler)
		if url == "" {
			continue
		}
		path := subPath(sub, e.o.Namespace)
		e.enqueue(delivery{ind: out, sub: sub, subPath: path, url: url, fatalPol: uint16(uintProp(sub, "OnFatalErrorPolicy"))})
	}
}

// resolve returns the filter and the handler a subscription refers to, or nils.
func (e *Engine) resolve(sub *cim.Instance) (filter, handler *cim.Instance) {
	get := func(role string) *cim.Instance {
		p := sub.Property(role)
		if p == nil {
			return nil
		}
		ref, ok := p.Value.(*cim.ObjectPath)
		if !ok {
			return nil
		}
		ns := ref.Namespace
		if ns == "" {
			ns = e.o.Namespace
		}
		inst, err := e.o.Store.Instance(ns, ref)
		if err != nil {
			e.log.WithError(err).WithField("ref", ref.String()).Debug("subscription refers to a missing instance")
			return nil
		}
		return inst
	}
	return get("Filter"), get("Handler")
}

// match reports whether filter selects ind of namespace ns, and returns ind as the
// filter's select list narrows it, IndicationFilterName set.
func (e *Engine) match(ns string, ind *cim.Instance, filter *cim.Instance) (*cim.Instance, bool) {
	if !inSourceNamespaces(filter, ns) {
		return nil, false
	}
	lang, _ := stringProp(filter, "QueryLanguage")
	text, _ := stringProp(filter, "Query")
	q := e.compile(ns, lang, text, filter)
	if q == nil || !e.isa(ns, ind.ClassName, q.ClassName()) {
		return nil, false
	}
	ok, err := q.Match(ind)
	if err != nil {
		e.log.WithError(err).WithField("query", text).Debug("filter query does not apply to the indication")
		return nil, false
	}
	if !ok {
		return nil, false
	}
	out := q.Project(ind)
	out = &cim.Instance{ClassName: out.ClassName, Qualifiers: out.Qualifiers, Properties: append([]cim.Property(nil), out.Properties...)}
	if name, ok := stringProp(filter, "Name"); ok {
		if p := out.Property("IndicationFilterName"); p != nil {
			p.Value = name
		}
	}
	return out, true
}

// compile returns the parsed query, from the cache; nil for a query that does not
// parse, which is logged once.
func (e *Engine) compile(ns, lang, text string, filter *cim.Instance) *query.Query {
	key := ns + "\x00" + lang + "\x00" + text
	e.qmu.Lock()
	c, ok := e.queries[key]
	e.qmu.Unlock()
	if !ok {
		c = &compiled{}
		c.q, c.err = query.Parse(lang, text)
		if c.err == nil && e.o.Lookup != nil {
			// Validation keeps the lookup, which ISA in WHERE needs to know
			// subclasses; a query the schema does not fit still runs by name.
			if err := c.q.Validate(func(class string) *cim.Class { return e.o.Lookup(ns, class) }); err != nil {
				e.log.WithError(err).WithField("query", text).Info("indication filter query does not fit the schema")
			}
		}
		if c.err != nil {
			name, _ := stringProp(filter, "Name")
			e.log.WithError(c.err).WithFields(logrus.Fields{"filter": name, "query": text, "language": lang}).
				Warn("indication filter skipped: its query is not valid")
		}
		e.qmu.Lock()
		if len(e.queries) >= maxQueries {
			// Filters come and go; start over rather than keep dead ones for ever.
			clear(e.queries)
		}
		e.queries[key] = c
		e.qmu.Unlock()
	}
	if c.err != nil {
		return nil
	}
	return c.q
}

// isa reports whether class of namespace ns is want or one of its subclasses.
func (e *Engine) isa(ns, class, want string) bool {
	for range 64 { // bounds a cyclic hierarchy, which the repository never holds
		if strings.EqualFold(class, want) {
			return true
		}
		if e.o.Lookup == nil {
			return false
		}
		c := e.o.Lookup(ns, class)
		if c == nil || c.SuperClass == "" {
			return false
		}
		class = c.SuperClass
	}
	return false
}

func inSourceNamespaces(filter *cim.Instance, ns string) bool {
	var list []string
	if p := filter.Property("SourceNamespaces"); p != nil {
		if a, ok := p.Value.([]any); ok {
			for _, v := range a {
				if s, ok := v.(string); ok && s != "" {
					list = append(list, s)
				}
			}
		}
	}
	if s, ok := stringProp(filter, "SourceNamespace"); ok && s != "" {
		list = append(list, s)
	}
	if len(list) == 0 {
		return true
	}
	for _, s := range list {
		if strings.EqualFold(strings.Trim(s, "/"), strings.Trim(ns, "/")) {
			return true
		}
	}
	return false
}

// destinationURL is the handler's Destination, with http:// when it has no scheme.
func destinationURL(handler *cim.Instance) string {
	if p := uintProp(handler, "Protocol"); p != 0 && p != 2 {
		return "" // not CIM-XML
	}
	d, ok := stringProp(handler, "Destination")
	d = strings.TrimSpace(d)
	if !ok || d == "" {
		return ""
	}
	if !strings.Contains(d, "://") {
		d = "http://" + d
	}
	return d
}

func subPath(sub *cim.Instance, ns string) *cim.ObjectPath {
	p := &cim.ObjectPath{Namespace: ns, ClassName: sub.ClassName}
	for _, k := range []string{"Filter", "Handler"} {
		if pr := sub.Property(k); pr != nil {
			p.Keys = append(p.Keys, cim.KeyBinding{Name: pr.Name, Value: pr.Value})
		}
	}
	return p
}

func stringProp(inst *cim.Instance, name string) (string, bool) {
	if p := inst.Property(name); p != nil {
		s, ok := p.Value.(string)
		return s, ok
	}
	return "", false
}

func uintProp(inst *cim.Instance, name string) uint64 {
	p := inst.Property(name)
	if p == nil {
		return 0
	}
	switch v := p.Value.(type) {
	case uint16:
		return uint64(v)
	case uint8:
		return uint64(v)
	case uint32:
		return uint64(v)
	case uint64:
		return v
	case int64:
		if v > 0 {
			return uint64(v)
		}
	}
	return 0
}

// enqueue puts d on its listener's queue, starting the listener's worker at its
// first indication.
func (e *Engine) enqueue(d delivery) {
	dst, ok := e.dests[d.url]
	if !ok {
		dst = &destination{url: d.url, q: make(chan delivery, e.o.DestinationQueue)}
		e.dests[d.url] = dst
		e.workers.Add(1)
		go e.work(dst)
	}
	select {
	case dst.q <- d:
	default:
		e.log.WithField("destination", d.url).Warn("listener queue full: indication dropped")
	}
}

// work delivers the indications of one listener, in order.
func (e *Engine) work(dst *destination) {
	defer e.workers.Done()
	for d := range dst.q {
		e.deliver(d)
	}
}

// errRefused is a listener's CIM ERROR: it got the indication and refused it.
var errRefused = errors.New("indication: the listener refused the indication")

// deliver posts d, retrying as Options.Retries says, then applies the fatal error
// policy.
func (e *Engine) deliver(d delivery) {
	var err error
	for attempt := 0; ; attempt++ {
		if e.ctx.Err() != nil {
			return
		}
		err = e.post(d)
		if err == nil || errors.Is(err, errRefused) || attempt >= len(e.o.Retries) {
			break
		}
		t := time.NewTimer(e.o.Retries[attempt])
		select {
		case <-t.C:
		case <-e.ctx.Done():
			t.Stop()
			return
		}
	}
	if err == nil {
		return
	}
	log := e.log.WithError(err).WithFields(logrus.Fields{"destination": d.url, "class": d.ind.ClassName})
	if errors.Is(err, errRefused) {
		log.Warn("listener refused an indication")
		return
	}
	log.Warn("indication not delivered")
	w, ok := e.o.Store.(StoreWriter)
	if !ok {
		return
	}
	switch d.fatalPol {
	case policyDisable:
		sub := &cim.Instance{ClassName: d.sub.ClassName, Properties: append([]cim.Property(nil), d.sub.Properties...)}
		setProp(sub, "SubscriptionState", cim.TypeUint16, uint16(stateDisabled))
		setProp(sub, "TimeOfLastStateChange", cim.TypeDatetime, Datetime(e.now()))
		if err := w.ModifyInstance(e.o.Namespace, sub); err != nil {
			e.log.WithError(err).Warn("disabling the subscription of a dead listener")
		} else {
			e.log.WithField("destination", d.url).Warn("subscription disabled (OnFatalErrorPolicy)")
		}
	case policyRemove:
		if err := w.DeleteInstance(e.o.Namespace, d.subPath); err != nil {
			e.log.WithError(err).Warn("removing the subscription of a dead listener")
		} else {
			e.log.WithField("destination", d.url).Warn("subscription removed (OnFatalErrorPolicy)")
		}
	}
}

func setProp(inst *cim.Instance, name string, t cim.Type, v any) {
	if p := inst.Property(name); p != nil {
		p.Value = v
		return
	}
	inst.Properties = append(inst.Properties, cim.Property{Name: name, Type: t, Value: v})
}

// post sends one ExportIndication request (cimxml.md §6) and reads the answer.
func (e *Engine) post(d delivery) error {
	var body bytes.Buffer
	id := strconv.FormatUint(e.seq.Add(1), 10)
	if err := cimxml.EncodeExportIndication(&body, id, d.ind); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, d.url, &body)
	if err != nil {
		return fmt.Errorf("indication: destination %q: %w", d.url, err)
	}
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	req.Header.Set("CIMExport", "MethodRequest")
	req.Header.Set("CIMExportMethod", cimxml.ExportIndication)
	req.Header.Set("CIMProtocolVersion", "1.0")
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("indication: posting to %s: %w", d.url, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("indication: reading the answer of %s: %w", d.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("indication: %s answered %s (CIMError %q)", d.url, resp.Status, resp.Header.Get("CIMError"))
	}
	if len(bytes.TrimSpace(rb)) == 0 {
		return nil // some listeners answer 200 without a body
	}
	if err := cimxml.DecodeExportResponse(rb); err != nil {
		var ce *cim.Error
		if errors.As(err, &ce) {
			return fmt.Errorf("%w: %w", errRefused, err)
		}
		return err
	}
	return nil
}
