package acm

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSharing is the hypervisor's event-channel/grant decision on the
// enforced policy. Target: ≤ 20 ns, 0 allocs/op.
func BenchmarkSharing(b *testing.B) {
	c := loadFile(b, "test-wld-security_policy.xml")
	e := NewEngine(c)
	a, d := ref(b, c, "CocaCola.Payroll"), ref(b, c, "SystemManagement")
	b.ReportAllocs()
	var ok bool
	for b.Loop() {
		ok = e.Sharing(a, d)
	}
	if !ok {
		b.Fatal("Sharing() = false")
	}
}

// bigPolicy writes a policy of labels VM labels and types STE and Chinese
// Wall types, with a conflict set every ten types.
func bigPolicy(labels, types int) []byte {
	var w strings.Builder
	w.WriteString(`<?xml version="1.0"?><SecurityPolicyDefinition xmlns="http://www.ibm.com"><PolicyHeader><PolicyName>big</PolicyName><Version>1.0</Version></PolicyHeader>`)
	typeList := func() {
		for i := range types {
			fmt.Fprintf(&w, "<Type>T%03d</Type>", i)
		}
	}
	w.WriteString("<SimpleTypeEnforcement><SimpleTypeEnforcementTypes>")
	typeList()
	w.WriteString("</SimpleTypeEnforcementTypes></SimpleTypeEnforcement><ChineseWall><ChineseWallTypes>")
	typeList()
	w.WriteString("</ChineseWallTypes><ConflictSets>")
	for i := 0; i+1 < types; i += 10 {
		fmt.Fprintf(&w, `<Conflict name="C%03d"><Type>T%03d</Type><Type>T%03d</Type></Conflict>`, i, i, i+1)
	}
	w.WriteString(`</ConflictSets></ChineseWall><SecurityLabelTemplate><SubjectLabels bootstrap="SystemManagement">`)
	w.WriteString("<VirtualMachineLabel><Name>SystemManagement</Name><SimpleTypeEnforcementTypes>")
	typeList()
	w.WriteString("</SimpleTypeEnforcementTypes></VirtualMachineLabel>")
	for i := 1; i < labels; i++ {
		fmt.Fprintf(&w, "<VirtualMachineLabel><Name>L%04d</Name><SimpleTypeEnforcementTypes><Type>T%03d</Type><Type>T%03d</Type></SimpleTypeEnforcementTypes><ChineseWallTypes><Type>T%03d</Type></ChineseWallTypes></VirtualMachineLabel>",
			i, i%types, (i*7)%types, i%types)
	}
	w.WriteString("</SubjectLabels><ObjectLabels>")
	for i := range types {
		fmt.Fprintf(&w, "<ResourceLabel><Name>R%03d</Name><SimpleTypeEnforcementTypes><Type>T%03d</Type></SimpleTypeEnforcementTypes></ResourceLabel>", i, i)
	}
	w.WriteString("</ObjectLabels></SecurityLabelTemplate></SecurityPolicyDefinition>")
	return []byte(w.String())
}

// BenchmarkCompile parses, validates and compiles a policy of 1,000 VM
// labels and 200 types. Target: ≤ 50 ms.
func BenchmarkCompile(b *testing.B) {
	doc := bigPolicy(1000, 200)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(doc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDomainStart is a guest's start and destroy: xend's checks
// (label, authorization, Chinese Wall), the hypervisor's create hook, then
// the destroy hook.
func BenchmarkDomainStart(b *testing.B) {
	c := loadFile(b, "test-wld-security_policy.xml")
	e := NewEngine(c)
	dom0 := ref(b, c, "SystemManagement")
	if err := e.DomainCreate(dom0); err != nil {
		b.Fatal(err)
	}
	for _, l := range []string{"Avis", "Hertz", "CocaCola"} {
		if err := e.DomainCreate(ref(b, c, l)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := e.CheckStart("CocaCola.Intranet", dom0)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.DomainCreate(r); err != nil {
			b.Fatal(err)
		}
		e.DomainDestroy(r)
	}
}
