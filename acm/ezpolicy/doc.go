// Package ezpolicy generates sHype/ACM workload-protection policies from a short
// description of organisations, their departments and the conflict sets between them,
// as Xen's ezPolicy tool (tools/security/xensec_ezpolicy) did: "create workload
// protection in 5 minutes" (acm.md §8).
//
// A [Description] is parsed from a small line-oriented text format ([Parse]; the format is
// documented in README.md next to this file) or built in code, and [Generate] turns it
// into the policy XML of the 3.2–3.4 schema (acm.md §1.1) that also passes xend's extra
// checks (§1.2):
//
//   - one STE type and one Chinese Wall type per organisation and per department
//     (org.dept), plus SystemManagement;
//   - the SystemManagement VM label carries every STE type and the SystemManagement
//     Chinese Wall type, and is the bootstrap label (Domain-0);
//   - one VM label per organisation (STE {org}, CHWALL {org}) and per department
//     (STE {org.dept}, CHWALL {org, org.dept}), so that an organisation dominates its
//     departments in conflict sets;
//   - one resource label per type, SystemManagement included;
//   - the conflict sets as described (default name "RER"; sets of fewer than two
//     types are dropped, as ezPolicy dropped them).
//
// The output is deterministic: the order of the description is kept, members of a
// conflict set are sorted (ezPolicy's list box sorted them), and no date is written
// unless the description gives one.
//
// The package imports only the standard library; it knows nothing of CIM.
package ezpolicy
