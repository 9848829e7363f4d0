package main

import (
	"errors"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/mof/compile"
)

// mofInstanceParser parses the MOF text of an embedded instance (`instance of
// Xen_VirtualSystemSettingData { ElementName = "web"; };`) against the classes of
// the repository, for the dispatcher's Options.ParseEmbedded: DSP1042 clients may
// send embedded instances as MOF instead of CIM-XML.
func mofInstanceParser(base compile.Lookup) func(ns, text string) (*cim.Instance, error) {
	return func(ns, text string) (*cim.Instance, error) {
		if !strings.Contains(strings.ToLower(text), "instance") {
			return nil, errors.New("want MOF `instance of` text or a CIM-XML INSTANCE")
		}
		c := compile.New(compile.Options{Namespace: ns, Base: base, Embedded: true})
		if err := c.CompileSource("embedded instance", text); err != nil {
			return nil, err
		}
		n := c.Result().Namespace(ns)
		if n == nil || len(n.Instances) != 1 || len(n.Classes) > 0 || len(n.QualifierTypes) > 0 {
			return nil, errors.New("want exactly one instance declaration")
		}
		return n.Instances[0], nil
	}
}
