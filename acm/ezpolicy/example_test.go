package ezpolicy_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/shypecim/shypecim/acm/ezpolicy"
)

func Example() {
	src := `# two rental companies that must never run side by side
policy example.rental
org Avis: Billing
org Hertz
conflict Avis, Hertz
`
	d, err := ezpolicy.Parse(strings.NewReader(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	policy, err := ezpolicy.Generate(d)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Print the Chinese Wall section.
	start := bytes.Index(policy, []byte("    <ChineseWall"))
	end := bytes.Index(policy, []byte("</ChineseWall>")) + len("</ChineseWall>")
	fmt.Println(string(policy[start:end]))
	// Output:
	//     <ChineseWall priority="PrimaryPolicyComponent">
	//         <ChineseWallTypes>
	//             <Type>SystemManagement</Type>
	//             <Type>Avis</Type>
	//             <Type>Avis.Billing</Type>
	//             <Type>Hertz</Type>
	//         </ChineseWallTypes>
	//
	//         <ConflictSets>
	//             <Conflict name="RER">
	//                 <Type>Avis</Type>
	//                 <Type>Hertz</Type>
	//             </Conflict>
	//         </ConflictSets>
	//     </ChineseWall>
}

func ExampleParse_errors() {
	src := `policy example.rental
org Avis
org Hertz
org Avis: Billing
conflict RER: Avis Sixt
`
	_, err := ezpolicy.Parse(strings.NewReader(src))
	var list ezpolicy.ErrorList
	if errors.As(err, &list) {
		fmt.Print(list.Detail())
	}
	fmt.Println(errors.Is(err, ezpolicy.ErrUnknown))
	// Output:
	// line 4: duplicate organisation "Avis" (first on line 2)
	// line 5: conflict set RER names organisation Sixt, which is not declared
	// true
}
