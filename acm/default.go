package acm

import (
	"fmt"
	"strings"
)

// DefaultPolicyName is the name of the built-in policy.
const DefaultPolicyName = "DEFAULT"

// defaultXML is xend 3.4's DEFAULT_policy (acmpolicy.py), byte for byte; %s
// receives the optional from attribute of SystemManagement's <Name>.
const defaultXML = `<?xml version="1.0" ?>
<SecurityPolicyDefinition xmlns="http://www.ibm.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.ibm.com ../../security_policy.xsd">
  <PolicyHeader>
    <PolicyName>DEFAULT</PolicyName>
    <Version>1.0</Version>
  </PolicyHeader>
  <SimpleTypeEnforcement>
    <SimpleTypeEnforcementTypes>
      <Type>SystemManagement</Type>
      <Type>__UNLABELED__</Type>
    </SimpleTypeEnforcementTypes>
  </SimpleTypeEnforcement>
  <ChineseWall>
    <ChineseWallTypes>
      <Type>SystemManagement</Type>
    </ChineseWallTypes>
  </ChineseWall>
  <SecurityLabelTemplate>
    <SubjectLabels bootstrap="SystemManagement">
      <VirtualMachineLabel>
        <Name%s>SystemManagement</Name>
        <SimpleTypeEnforcementTypes>
          <Type>SystemManagement</Type>
          <Type>__UNLABELED__</Type>
        </SimpleTypeEnforcementTypes>
        <ChineseWallTypes>
          <Type/>
        </ChineseWallTypes>
      </VirtualMachineLabel>
      <VirtualMachineLabel>
        <Name>__UNLABELED__</Name>
        <SimpleTypeEnforcementTypes>
          <Type>__UNLABELED__</Type>
        </SimpleTypeEnforcementTypes>
        <ChineseWallTypes>
          <Type/>
        </ChineseWallTypes>
      </VirtualMachineLabel>
    </SubjectLabels>
    <ObjectLabels>
      <ResourceLabel>
        <Name>__UNLABELED__</Name>
        <SimpleTypeEnforcementTypes>
          <Type>__UNLABELED__</Type>
        </SimpleTypeEnforcementTypes>
      </ResourceLabel>
    </ObjectLabels>
  </SecurityLabelTemplate>
</SecurityPolicyDefinition>
`

// DefaultXML returns the DEFAULT policy document as xend generates it
// (get_DEFAULT_policy). A non-empty dom0Label becomes the from attribute of
// SystemManagement, which is how a reset renames Domain-0's label.
func DefaultXML(dom0Label string) []byte {
	from := ""
	if dom0Label != "" {
		// Python's "%s" inserts the label raw; escaping keeps the XML valid
		// for a label holding '"', '<' or '&'.
		r := strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `"`, "&quot;")
		from = fmt.Sprintf(` from="%s"`, r.Replace(dom0Label))
	}
	return fmt.Appendf(nil, defaultXML, from)
}

// DefaultPolicy returns the built-in DEFAULT policy (acm.md §1.5, §9):
// Domain-0 SystemManagement (0x00010001); unlabeled domains and resources
// may run and share only with Domain-0; no Chinese Wall constraints.
func DefaultPolicy() *Policy {
	p, err := Parse(DefaultXML(""))
	if err != nil {
		// The document is a constant validated by the tests.
		panic("acm: built-in DEFAULT policy does not parse: " + err.Error())
	}
	return p
}
