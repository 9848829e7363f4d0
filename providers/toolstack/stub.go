package toolstack

// stub.go holds placeholder bodies until the implementation lands; every
// operation fails with errNotImplemented. Replace this file, keep api.go.

import (
	"context"
	"errors"

	"github.com/shypecim/shypecim/acm"
	"github.com/shypecim/shypecim/hypervisor"
)

var errNotImplemented = errors.New("toolstack: not implemented")

type impl struct{}

func newToolstack(o Options) (*Toolstack, error) { return &Toolstack{o: o}, nil }

func (t *Toolstack) domains(context.Context) ([]Domain, error) { return nil, errNotImplemented }
func (t *Toolstack) domain(context.Context, string) (Domain, error) {
	return Domain{}, errNotImplemented
}
func (t *Toolstack) define(context.Context, Config) (Domain, error) {
	return Domain{}, errNotImplemented
}
func (t *Toolstack) modify(context.Context, string, Settings) (Domain, error) {
	return Domain{}, errNotImplemented
}
func (t *Toolstack) delete(context.Context, string) error                   { return errNotImplemented }
func (t *Toolstack) requestState(context.Context, string, Transition) error { return errNotImplemented }
func (t *Toolstack) attachDisk(context.Context, string, Disk) (Disk, error) {
	return Disk{}, errNotImplemented
}
func (t *Toolstack) attachVIF(context.Context, string, VIF) (VIF, error) {
	return VIF{}, errNotImplemented
}
func (t *Toolstack) detachDisk(context.Context, string, string) error { return errNotImplemented }
func (t *Toolstack) detachVIF(context.Context, string, int) error     { return errNotImplemented }
func (t *Toolstack) modifyDisk(context.Context, string, Disk) error   { return errNotImplemented }
func (t *Toolstack) setVIFLabel(context.Context, string, int, string, string) error {
	return errNotImplemented
}
func (t *Toolstack) setDomainLabel(context.Context, string, string, string) (uint32, error) {
	return 0, errNotImplemented
}
func (t *Toolstack) setResourceLabel(context.Context, string, string, string) error {
	return errNotImplemented
}
func (t *Toolstack) resourceLabel(string) (acm.ResourceLabel, bool, error) {
	return acm.ResourceLabel{}, false, errNotImplemented
}
func (t *Toolstack) resources() []LabeledResource { return nil }
func (t *Toolstack) setPolicy(context.Context, []byte, uint32, bool) (*acm.Result, error) {
	return nil, errNotImplemented
}
func (t *Toolstack) resetPolicy(context.Context) (*acm.Result, error) { return nil, errNotImplemented }
func (t *Toolstack) activatePolicy(context.Context, uint32) (uint32, error) {
	return 0, errNotImplemented
}
func (t *Toolstack) removeBootPolicy(context.Context) error { return errNotImplemented }
func (t *Toolstack) canRun(string) acm.XSErr                { return acm.XSErrGeneralFailure }
func (t *Toolstack) decide(context.Context, hypervisor.DecisionOp, string, string) (bool, error) {
	return false, errNotImplemented
}
func (t *Toolstack) dryRunDomain(context.Context, string) (DryRun, error) {
	return DryRun{}, errNotImplemented
}
func (t *Toolstack) dryRunConfig(context.Context, Config) (DryRun, error) {
	return DryRun{}, errNotImplemented
}
func (t *Toolstack) dumpPolicy(context.Context) (string, error) { return "", errNotImplemented }
func changePolicyHook(hypervisor.Security, *acm.Hooks) func(*acm.Compiled, *acm.UpdatePlan) error {
	return func(*acm.Compiled, *acm.UpdatePlan) error { return errNotImplemented }
}
func message(err error) string { return err.Error() }
