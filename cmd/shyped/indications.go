package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom/indication"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/providers/secpolicy"
	"github.com/shypecim/shypecim/providers/toolstack"
)

// indicationDrain bounds how long a shutdown waits for queued indications to reach
// their listeners.
const indicationDrain = 5 * time.Second

// indications joins the toolstack's policy changes and refusals to the security
// provider, which raises the indications, and the provider to the engine that
// delivers them (cim-model.md §4). The toolstack exists before the provider, so
// its hooks reach the provider through src, set once the provider is built; until
// then (no policy can change, no domain start) they do nothing.
type indications struct {
	engine *indication.Engine
	src    atomic.Pointer[secpolicy.Provider]
}

func openIndications(repo *repository.Store, log *logrus.Entry) *indications {
	return &indications{engine: indication.New(indication.Options{
		Store:  repo,
		Lookup: repo.Class,
		Logger: log,
	})}
}

// hook adds the indication sources to the toolstack's options, chained after
// what is already there (the host's policy measurement).
func (in *indications) hook(o *toolstack.Options) {
	measured := o.PolicyChanged
	o.PolicyChanged = func(ctx context.Context, binary []byte) {
		if measured != nil {
			measured(ctx, binary)
		}
		if p := in.src.Load(); p != nil {
			p.PolicyChanged(ctx)
		}
	}
	denied := o.Denied
	o.Denied = func(ctx context.Context, d toolstack.Denial) {
		if denied != nil {
			denied(ctx, d)
		}
		if p := in.src.Load(); p != nil {
			p.Denied(ctx, d)
		}
	}
}

// close delivers what is queued, for at most indicationDrain.
func (in *indications) close(log *logrus.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), indicationDrain)
	defer cancel()
	if err := in.engine.Close(ctx); err != nil {
		log.WithError(err).Warn("indications still queued at shutdown were dropped")
	}
}
