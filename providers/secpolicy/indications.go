package secpolicy

import (
	"context"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// The indication classes the provider raises (cim-model.md §4).
const (
	ClassPolicyChangeIndication = "Xen_PolicyChangeIndication"
	ClassAccessDeniedIndication = "Xen_AccessDeniedIndication"
)

// Values of the CIM_AlertIndication properties of Xen_AccessDeniedIndication
// (their ValueMaps in event.mof) and of PerceivedSeverity.
const (
	alertTypeSecurity      = 8  // "Security Alert"
	severityInformation    = 2  // a policy change is routine administration
	severityWarning        = 3  // "Degraded/Warning": a refusal is the policy working, worth a look
	causeUnauthorized      = 65 // "Unauthorized Access"
	elementFormatObjectRef = 2  // AlertingManagedElement is a CIMObjectPath
)

// PolicyChanged raises Xen_PolicyChangeIndication for a change of the enforced
// policy (load, update, reset, activation): SourceInstance is the Xen_ACMPolicy
// instance now, PreviousInstance the one the provider last reported (at New or
// at the previous change). cmd/shyped calls it from
// toolstack.Options.PolicyChanged; without Options.Indications it only
// remembers the instance.
func (p *Provider) PolicyChanged(ctx context.Context) {
	cur := p.policyInstance()
	p.mu.Lock()
	prev := p.lastPolicy
	p.lastPolicy = cur
	p.mu.Unlock()
	if p.sink == nil || cur == nil {
		return
	}
	vals := []cim.Property{
		{Name: "SourceInstance", Type: cim.TypeString, Value: cur},
		str("SourceInstanceModelPath", p.modelPath(cur)),
		str("SourceInstanceHost", p.host),
		u16("PerceivedSeverity", severityInformation),
	}
	if prev != nil {
		vals = append(vals, cim.Property{Name: "PreviousInstance", Type: cim.TypeString, Value: prev},
			strs("ChangedPropertyNames", changed(prev, cur)))
	}
	p.sink.Indicate(ctx, Namespace, p.indication(ClassPolicyChangeIndication, vals))
}

// Denied raises Xen_AccessDeniedIndication for a refusal of the access control;
// cmd/shyped calls it from toolstack.Options.Denied. Hook follows the toolstack:
// 1 Sharing (a device, a relabel that breaks sharing), 2 Authorization (Domain-0
// may not run the label), 3 Conflict Set (Chinese Wall).
func (p *Provider) Denied(ctx context.Context, d toolstack.Denial) {
	if p.sink == nil {
		return
	}
	vals := []cim.Property{
		str("Description", d.Message),
		str("Message", d.Message),
		str("SubjectLabel", d.SubjectLabel),
		str("ObjectLabel", d.ObjectLabel),
		u16("Hook", uint16(d.Hook)),
		u16("AlertType", alertTypeSecurity),
		u16("PerceivedSeverity", severityWarning),
		u16("ProbableCause", causeUnauthorized),
		str("ProbableCauseDescription", denialCause(d)),
		str("SystemCreationClassName", ClassHostSystem),
		str("SystemName", p.host),
		str("ProviderName", "shypecim secpolicy"),
		str("OwningEntity", "Xen"),
	}
	if d.UUID != "" {
		sys := *computerSystemPath(d.UUID)
		sys.Host = p.host
		vals = append(vals, str("AlertingManagedElement", sys.String()), u16("AlertingElementFormat", elementFormatObjectRef))
	}
	p.sink.Indicate(ctx, Namespace, p.indication(ClassAccessDeniedIndication, vals))
}

// denialCause says in words what was refused, for ProbableCauseDescription.
func denialCause(d toolstack.Denial) string {
	what := map[string]string{
		"start":   "start of domain",
		"resume":  "resume of domain",
		"attach":  "device attach to domain",
		"relabel": "relabel of domain",
	}[d.Op]
	if what == "" {
		what = d.Op + " of domain"
	}
	s := what + " " + d.Domain + " denied"
	if d.Resource != "" {
		s += " (resource " + d.Resource + ")"
	}
	return s
}

// policyInstance is the Xen_ACMPolicy instance, nil when no policy is managed.
func (p *Provider) policyInstance() *cim.Instance {
	e, ok := p.policyEntry()
	if !ok {
		return nil
	}
	return providers.NewBuilder(p.class(ClassACMPolicy)).Instance(e)
}

// modelPath is the path of the policy instance, "root/cimv2:Xen_ACMPolicy.…".
func (p *Provider) modelPath(inst *cim.Instance) string {
	path := &cim.ObjectPath{Namespace: Namespace, ClassName: inst.ClassName}
	if v := inst.Property("InstanceID"); v != nil {
		path.Keys = []cim.KeyBinding{{Name: "InstanceID", Value: v.Value}}
	}
	return path.String()
}

// indication is an instance of class with every property of the class (NULL
// where vals has no value), so that filters see the whole class.
func (p *Provider) indication(class string, vals []cim.Property) *cim.Instance {
	return providers.NewBuilder(p.class(class)).Instance(entry{Path: &cim.ObjectPath{Namespace: Namespace, ClassName: class}, Values: vals})
}

// changed lists the properties whose values differ between a and b.
func changed(a, b *cim.Instance) []string {
	var out []string
	for _, pb := range b.Properties {
		pa := a.Property(pb.Name)
		if pa == nil || !cim.EqualValues(pa.Value, pb.Value) {
			out = append(out, pb.Name)
		}
	}
	for _, pa := range a.Properties {
		if b.Property(pa.Name) == nil && !containsFold(out, pa.Name) {
			out = append(out, pa.Name)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
