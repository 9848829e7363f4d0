package providers

import (
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
)

// Helpers that providers share to build what they serve: an Entry holds the path
// and the values a provider knows of one instance, and a Builder completes it into
// an instance holding every property of its class, as InstanceProvider's contract
// asks.

// Entry is one instance before it is completed from its class: its path and the
// values the provider knows, keys included.
type Entry struct {
	Path   *cim.ObjectPath
	Values []cim.Property
}

// KeyEntry returns an entry whose values are the keys of path (references typed as
// such, with their class) followed by more.
func KeyEntry(path *cim.ObjectPath, more ...cim.Property) Entry {
	e := Entry{Path: path, Values: make([]cim.Property, 0, len(path.Keys)+len(more))}
	for _, k := range path.Keys {
		if ref, ok := k.Value.(*cim.ObjectPath); ok {
			e.Values = append(e.Values, cim.Property{Name: k.Name, Type: cim.TypeReference, ReferenceClass: ref.ClassName, Value: ref})
			continue
		}
		e.Values = append(e.Values, cim.Property{Name: k.Name, Type: cim.TypeOf(k.Value), Value: k.Value})
	}
	e.Values = append(e.Values, more...)
	return e
}

// RefersTo reports whether a reference key of e (the one named role, any when role
// is "") points to target, as ObjectPath.Equal compares them.
func (e Entry) RefersTo(target *cim.ObjectPath, role string) bool {
	return e.RefersToFunc(target, role, (*cim.ObjectPath).Equal)
}

// RefersToFunc is RefersTo with the provider's own comparison of paths.
func (e Entry) RefersToFunc(target *cim.ObjectPath, role string, same func(ref, target *cim.ObjectPath) bool) bool {
	for _, k := range e.Path.Keys {
		if role != "" && !strings.EqualFold(k.Name, role) {
			continue
		}
		if ref, ok := k.Value.(*cim.ObjectPath); ok && same(ref, target) {
			return true
		}
	}
	return false
}

// Builder completes entries of one class into instances: every property of the
// class, in its order, with the entry's value where it has one and the class
// default elsewhere (NULL when the class has none). Make one per enumeration: it
// indexes the class's properties once.
type Builder struct {
	class *cim.Class
	index map[string]int // property name, as declared and in lower case -> index
}

// NewBuilder returns the builder of class c; with a nil c, instances hold the
// entries' values only.
func NewBuilder(c *cim.Class) *Builder {
	b := &Builder{class: c}
	if c != nil {
		b.index = make(map[string]int, 2*len(c.Properties))
		for i := range c.Properties {
			b.index[c.Properties[i].Name] = i
			b.index[strings.ToLower(c.Properties[i].Name)] = i
		}
	}
	return b
}

// Instance returns the instance of e.
func (b *Builder) Instance(e Entry) *cim.Instance {
	if b.class == nil {
		return &cim.Instance{ClassName: e.Path.ClassName, Properties: append([]cim.Property(nil), e.Values...)}
	}
	c := b.class
	props := make([]cim.Property, len(c.Properties))
	for i := range c.Properties {
		cp := &c.Properties[i]
		props[i] = cim.Property{
			Name: cp.Name, Type: cp.Type, IsArray: cp.IsArray, ArraySize: cp.ArraySize,
			ReferenceClass: cp.ReferenceClass, Value: cp.Value,
			ClassOrigin: cp.ClassOrigin, Propagated: cp.Propagated,
		}
	}
	for _, v := range e.Values {
		i, ok := b.index[v.Name] // providers spell names as the schema does
		if !ok {
			i, ok = b.index[strings.ToLower(v.Name)]
		}
		if ok {
			props[i].Value = v.Value
		}
	}
	return &cim.Instance{ClassName: c.Name, Properties: props}
}
