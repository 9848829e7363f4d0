package query

import (
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// category groups CIM types by how they compare.
type category uint8

const (
	catUnknown category = iota // not known before evaluation (an EmbeddedObject's property)
	catNum
	catString
	catBool
	catDatetime
	catRef
	catObject // an embedded instance or object, or the instance itself
)

var catNames = [...]string{
	catUnknown: "unknown", catNum: "a number", catString: "a string", catBool: "a boolean",
	catDatetime: "a datetime", catRef: "a reference", catObject: "an embedded object",
}

// ptype is what Validate knows of a property operand.
type ptype struct {
	cat     category
	isArray bool // after the index, if any
	pos     int
	name    string
}

// validator checks a query's property operands against the schema.
type validator struct {
	q      *Query
	lookup func(string) *cim.Class
	class  *cim.Class
}

func isEmbedded(p *cim.Property) bool {
	return p.Type == cim.TypeString && (p.Qualifiers.Has("EmbeddedInstance") || p.Qualifiers.IsTrue("EmbeddedObject"))
}

func categoryOf(p *cim.Property) category {
	switch {
	case isEmbedded(p):
		return catObject
	case p.Type.IsInteger(), p.Type.IsReal():
		return catNum
	case p.Type == cim.TypeString, p.Type == cim.TypeChar16:
		return catString
	case p.Type == cim.TypeBoolean:
		return catBool
	case p.Type == cim.TypeDatetime:
		return catDatetime
	case p.Type == cim.TypeReference:
		return catRef
	}
	return catUnknown
}

// prop resolves a property operand through the class and the classes of embedded
// instances; a name it cannot follow (an EmbeddedObject) gives catUnknown.
func (v *validator) prop(r *propRef) (ptype, error) {
	pt := ptype{pos: r.pos, name: strings.Join(r.path, ".")}
	switch r.sp {
	case spThis:
		pt.cat = catObject
		return pt, nil
	case spClass:
		pt.cat = catString
		return pt, nil
	}
	c := v.class
	var p *cim.Property
	for i, name := range r.path {
		if i > 0 {
			if !isEmbedded(p) || p.IsArray {
				return pt, v.q.invalid(r.pos, "property %s is not an embedded instance", strings.Join(r.path[:i], "."))
			}
			if c = v.lookup(p.Qualifiers.String("EmbeddedInstance")); c == nil && r.scopes == nil {
				return pt, nil // an EmbeddedObject: any class
			}
		}
		if r.scopes != nil && r.scopes[i] != "" {
			// The scope names the class the property comes from.
			if c = v.lookup(r.scopes[i]); c == nil {
				return pt, v.q.invalid(r.pos, "class %s does not exist", r.scopes[i])
			}
		} else if c == nil {
			return pt, nil
		}
		if p = c.Property(name); p == nil {
			return pt, v.q.invalid(r.pos, "class %s has no property %s", c.Name, name)
		}
	}
	pt.cat = categoryOf(p)
	pt.isArray = p.IsArray
	if r.index >= 0 {
		if !p.IsArray {
			return pt, v.q.invalid(r.pos, "property %s is not an array", pt.name)
		}
		pt.isArray = false
	}
	return pt, nil
}

func (v *validator) node(n node) error {
	switch x := n.(type) {
	case *andNode:
		if err := v.node(x.l); err != nil {
			return err
		}
		return v.node(x.r)
	case *orNode:
		if err := v.node(x.l); err != nil {
			return err
		}
		return v.node(x.r)
	case *notNode:
		return v.node(x.x)
	case *nullNode:
		_, err := v.prop(x.x.prop)
		return err
	case *isaNode:
		pt, err := v.prop(x.x.prop)
		if err != nil {
			return err
		}
		if x.x.prop.sp == spClass {
			return nil
		}
		if pt.cat != catUnknown && (pt.isArray || pt.cat != catObject && pt.cat != catRef) {
			return v.q.invalid(x.pos, "ISA needs an embedded instance, a reference or the instance itself; %s is %s", pt.name, v.describe(pt))
		}
	case *likeNode:
		pt, err := v.prop(x.x.prop)
		if err != nil {
			return err
		}
		return v.scalar(x.pos, x.q, pt, func(pt ptype) error {
			if pt.cat != catString && pt.cat != catUnknown {
				return v.q.invalid(x.pos, "LIKE needs a string; %s is %s", pt.name, catNames[pt.cat])
			}
			return nil
		})
	case *cmpNode:
		return v.cmp(x)
	}
	return nil
}

func (v *validator) describe(pt ptype) string {
	if pt.isArray {
		return "an array"
	}
	return catNames[pt.cat]
}

// scalar checks the array-ness of a quantified or plain operand, then calls f
// with the element's type.
func (v *validator) scalar(pos int, q quant, pt ptype, f func(ptype) error) error {
	if pt.cat == catUnknown {
		return nil
	}
	if q != qNone {
		if !pt.isArray {
			return v.q.invalid(pos, "ANY and EVERY need an array; %s is %s", pt.name, catNames[pt.cat])
		}
		pt.isArray = false
	} else if pt.isArray {
		return v.q.invalid(pos, "%s is an array: use ANY, EVERY or an index", pt.name)
	}
	return f(pt)
}

func (v *validator) cmp(n *cmpNode) error {
	l, err := v.prop(n.l.prop) // the parser puts a property on the left
	if err != nil {
		return err
	}
	var r ptype
	if n.r.kind == oProp {
		if r, err = v.prop(n.r.prop); err != nil {
			return err
		}
	}
	if l.cat == catUnknown || n.r.kind == oProp && r.cat == catUnknown {
		return nil
	}
	if n.r.kind == oArray || n.r.kind == oProp && r.isArray {
		if n.q != qNone {
			return v.q.invalid(n.pos, "ANY and EVERY compare each element with a scalar; %s is an array", r.name)
		}
		if !l.isArray {
			return v.q.invalid(n.pos, "%s is not an array", l.name)
		}
		if n.op.ordering() {
			return v.q.invalid(n.pos, "arrays compare only with = and <>")
		}
		if n.r.kind == oProp {
			return v.compatible(n, l, r)
		}
		for _, lit := range n.r.arr {
			if err := v.literal(n, l, lit); err != nil {
				return err
			}
		}
		return nil
	}
	return v.scalar(n.pos, n.q, l, func(l ptype) error {
		if n.r.kind == oProp {
			return v.compatible(n, l, r)
		}
		return v.literal(n, l, n.r.lit)
	})
}

func (v *validator) compatible(n *cmpNode, l, r ptype) error {
	if l.cat != r.cat {
		return v.q.invalid(n.pos, "cannot compare %s (%s) with %s (%s)", l.name, catNames[l.cat], r.name, catNames[r.cat])
	}
	return v.order(n, l)
}

func (v *validator) order(n *cmpNode, l ptype) error {
	if n.op.ordering() && (l.cat == catBool || l.cat == catRef || l.cat == catObject || l.isArray) {
		return v.q.invalid(n.pos, "%s is %s: only = and <> compare it", l.name, v.describe(l))
	}
	return nil
}

// literal checks that lit can be compared with a property of type l.
func (v *validator) literal(n *cmpNode, l ptype, lit *literal) error {
	ok := false
	switch lit.kind {
	case litNull:
		return nil
	case litNum:
		ok = l.cat == catNum
	case litBool:
		ok = l.cat == catBool
	case litString:
		switch l.cat {
		case catString:
			ok = true
		case catDatetime:
			if _, good := lit.datetime(); !good {
				return v.q.invalid(lit.pos, "'%s' is not a CIM datetime", lit.s)
			}
			ok = true
		case catRef:
			if lit.path() == nil {
				return v.q.invalid(lit.pos, "'%s' is not an object path", lit.s)
			}
			ok = true
		}
	}
	if !ok {
		return v.q.invalid(lit.pos, "cannot compare %s (%s) with this literal", l.name, catNames[l.cat])
	}
	return v.order(n, ptype{cat: l.cat, name: l.name})
}
