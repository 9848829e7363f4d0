// Package swtpm is the vTPM backend on swtpm (vtpm.md §2, §6.4): each TPM is a
// state folder manufactured by swtpm_setup with an EK certificate from a local CA
// the backend owns, and runs as one `swtpm socket --tpm2` child process with unix
// data and control sockets in a private folder. The data channel is a small
// exact-length stream transport that go-tpm's tpm2 commands execute on; the
// control channel (power on, suspend, shut down, state blobs) is a small own
// client of swtpm's ioctl protocol.
//
// Layout under Options.Root (0700, owned by the backend):
//
//	<Root>/ca/                 local CA (swtpm_localca state and config)
//	<Root>/<id>/tpm/           swtpm state (tpm2-00.permall, tpm2-00.volatilestate)
//	<Root>/<id>/run/           data.sock, ctrl.sock, swtpm.pid, swtpm.log
//
// swtpm processes run in their own process group and outlive a crashed manager;
// a new Backend on the same Root reattaches to them with Adopt.
package swtpm
