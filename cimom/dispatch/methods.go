package dispatch

import (
	"context"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/providers"
)

// Extrinsic methods (cimxml.md §3.7).

func (d *Dispatcher) invokeMethod(ctx context.Context, ns string, o *cim.InvokeMethod) (*cim.Result, error) {
	t := o.Target
	if t == nil {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "the target of the method is required")
	}
	if t.Namespace != "" && nsKey(t.Namespace) != nsKey(ns) {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "target %s is in another namespace than %s", t, ns)
	}
	static := t.IsClass()
	c := d.s.Class(ns, t.ClassName)
	if c == nil {
		if static {
			return nil, cim.Errorf(cim.StatusNotFound, "class %s does not exist", t.ClassName)
		}
		return nil, cim.Errorf(cim.StatusInvalidClass, "class %s does not exist", t.ClassName)
	}
	m := c.Method(o.MethodName)
	if m == nil {
		return nil, cim.Errorf(cim.StatusMethodNotFound, "class %s has no method %s", c.Name, o.MethodName)
	}
	if static && !m.Qualifiers.IsTrue("Static") {
		return nil, cim.Errorf(cim.StatusInvalidParameter, "method %s.%s is not static: call it on an instance", c.Name, m.Name)
	}
	in, err := inParams(m, o.Params)
	if err != nil {
		return nil, err
	}
	if d.opts.ParseEmbedded != nil {
		if err := d.parseEmbedded(ns, m, in); err != nil {
			return nil, err
		}
	}
	target := &cim.ObjectPath{Namespace: ns, ClassName: c.Name}
	if !static {
		if target, err = d.typedPath(ns, c, t); err != nil {
			return nil, err
		}
		if _, err := d.fetch(ctx, ns, c, target); err != nil {
			return nil, err
		}
	}
	mp, ok := d.provider(ns, c.Name).(providers.MethodProvider)
	if !ok {
		return nil, cim.Errorf(cim.StatusMethodNotAvailable, "method %s.%s has no implementation", c.Name, m.Name)
	}
	ret, out, err := mp.InvokeMethod(ctx, ns, target, m.Name, in)
	if err != nil {
		return nil, err
	}
	return methodResult(c, m, ret, out)
}

// isIn reports whether a parameter is an input one: In defaults to true.
func isIn(p *cim.Parameter) bool {
	q := p.Qualifiers.Get("In")
	if q == nil {
		return true
	}
	b, ok := q.Value.(bool)
	return !ok || b
}

// embedded returns the EmbeddedObject attribute a value declared with qs gets.
func embedded(qs cim.Qualifiers) string {
	switch {
	case qs.Has("EmbeddedInstance"):
		return "instance"
	case qs.IsTrue("EmbeddedObject"):
		return "object"
	}
	return ""
}

// parseEmbedded turns the string values of the EmbeddedInstance parameters of in
// into instances with Options.ParseEmbedded, in place.
func (d *Dispatcher) parseEmbedded(ns string, m *cim.Method, in []cim.ParamValue) error {
	for i := range in {
		pv := &in[i]
		if p := m.Parameter(pv.Name); p == nil || !p.Qualifiers.Has("EmbeddedInstance") {
			continue
		}
		conv := func(v any) (any, error) {
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return v, nil
			}
			inst, err := d.opts.ParseEmbedded(ns, s)
			if err != nil {
				return nil, cim.Errorf(cim.StatusInvalidParameter, "parameter %s: not an embedded instance: %v", pv.Name, err)
			}
			return inst, nil
		}
		switch v := pv.Value.(type) {
		case []any:
			a := make([]any, len(v))
			for j, e := range v {
				x, err := conv(e)
				if err != nil {
					return err
				}
				a[j] = x
			}
			pv.Value = a
		case []string:
			a := make([]any, len(v))
			for j, e := range v {
				x, err := conv(e)
				if err != nil {
					return err
				}
				a[j] = x
			}
			pv.Value = a
		default:
			x, err := conv(v)
			if err != nil {
				return err
			}
			pv.Value = x
		}
	}
	return nil
}

// inParams types the parameters sent by a client from the method's declaration.
func inParams(m *cim.Method, params []cim.ParamValue) ([]cim.ParamValue, error) {
	out := make([]cim.ParamValue, 0, len(params))
	for i, pv := range params {
		p := m.Parameter(pv.Name)
		if p == nil || !isIn(p) {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "method %s has no input parameter %s", m.Name, pv.Name)
		}
		for _, prev := range params[:i] {
			if strings.EqualFold(prev.Name, pv.Name) {
				return nil, cim.Errorf(cim.StatusInvalidParameter, "parameter %s is given twice", pv.Name)
			}
		}
		// A typed value of another type is accepted when it converts (a number of
		// another width); convert says when it does not.
		if pv.Type != cim.TypeInvalid && pv.IsArray != p.IsArray && pv.Value != nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "parameter %s: want %s, have %s",
				p.Name, typeText(p.Type, p.IsArray), typeText(pv.Type, pv.IsArray))
		}
		v, err := convert(p.Type, p.IsArray, pv.Value)
		if err == nil {
			err = cim.CheckValue(p.Type, p.IsArray, v)
		}
		if err != nil {
			return nil, cim.Errorf(cim.StatusInvalidParameter, "parameter %s: %v", p.Name, err)
		}
		out = append(out, cim.ParamValue{Name: p.Name, Type: p.Type, IsArray: p.IsArray, Value: v,
			EmbeddedObject: embedded(p.Qualifiers)})
	}
	return out, nil
}

// methodResult gives the return value and the OUT parameters of a provider their
// declared types. A value that does not fit its declaration is the provider's
// fault: CIM_ERR_FAILED.
func methodResult(c *cim.Class, m *cim.Method, ret any, out []cim.ParamValue) (*cim.Result, error) {
	rv, err := convert(m.ReturnType, false, ret)
	if err != nil {
		return nil, &cim.Error{Code: cim.StatusFailed, Description: "the method returned an invalid value",
			Err: cim.Errorf(cim.StatusFailed, "%s.%s: return value: %v", c.Name, m.Name, err)}
	}
	res := &cim.Result{ReturnValue: rv, ReturnType: m.ReturnType, ReturnEmbeddedObject: embedded(m.Qualifiers)}
	for _, pv := range out {
		p := m.Parameter(pv.Name)
		if p == nil {
			return nil, &cim.Error{Code: cim.StatusFailed, Description: "the method returned an invalid parameter",
				Err: cim.Errorf(cim.StatusFailed, "%s.%s: undeclared output parameter %s", c.Name, m.Name, pv.Name)}
		}
		v, err := convert(p.Type, p.IsArray, pv.Value)
		if err != nil {
			return nil, &cim.Error{Code: cim.StatusFailed, Description: "the method returned an invalid parameter",
				Err: cim.Errorf(cim.StatusFailed, "%s.%s: output parameter %s: %v", c.Name, m.Name, p.Name, err)}
		}
		res.OutParams = append(res.OutParams, cim.ParamValue{Name: p.Name, Type: p.Type, IsArray: p.IsArray,
			Value: v, EmbeddedObject: embedded(p.Qualifiers)})
	}
	return res, nil
}
