// Package vtpm is the virtual TPM manager of IBM's vTPM architecture, on today's
// parts (vtpm.md): an instance table of TPM 2.0 devices bound to domains, their
// lifecycle, host-side PCR operations and quotes with verification, and migration
// between managers with the one-copy guarantee. The TPMs themselves run in a
// Backend (vtpm/swtpm); commands go through github.com/google/go-tpm's tpm2. It
// knows nothing of CIM nor of the hypervisor: domains are opaque UUIDs.
package vtpm
