// Command shyped is the shypecim CIM object manager: it serves the security extensions
// of the Xen CIM/API (sHype access control, security labels, virtual TPMs) over
// CIM-XML.
//
// It loads the schema (the embedded project schema, or with --schema the full DMTF
// schema and the project's classes on top) into the class repository, opens the data
// directory, and serves CIM operations over HTTP (DSP0200, CIM-XML) on /cimom: the
// cimom handler decodes each request and runs it on the dispatcher, which answers
// from the repository and the providers registered with it.
//
// Usage:
//
//	shyped [--listen ADDR] [--data DIR] [--schema DIR] [--reset-host]
//	       [--host-tpm DEVICE] [--log-level LEVEL]
//	shyped --version
//
// It serves until SIGTERM or SIGINT, then shuts down cleanly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom"
	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/indication"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/internal/datadir"
	"github.com/shypecim/shypecim/mof/compile"
	"github.com/shypecim/shypecim/mof/schema"
	"github.com/shypecim/shypecim/providers"
	"github.com/shypecim/shypecim/providers/interop"
	"github.com/shypecim/shypecim/providers/secpolicy"
	"github.com/shypecim/shypecim/providers/system"
	"github.com/shypecim/shypecim/providers/toolstack"
	"github.com/shypecim/shypecim/providers/tpm"
)

// bodyTimeout bounds the reading of a request body: 32 MiB, the largest body the
// handler takes, at a slow 1 MiB/s.
const bodyTimeout = time.Minute

// version is the server's version; release builds set it with -ldflags "-X main.version=…".
var version = "0.1.0"

type config struct {
	listen    string
	data      string
	schemaDir string
	resetHost bool
	hostTPM   string
	logLevel  string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shyped", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:5988", "`address` to serve CIM-XML on")
	fs.StringVar(&cfg.data, "data", datadir.Default(), "data `directory` (default $SHYPE_DATA, else ~/.local/state/shypecim)")
	fs.StringVar(&cfg.schemaDir, "schema", "", "`directory` of the full DMTF schema (cim_schema_2.49.0.mof) to serve instead of the embedded subset")
	fs.BoolVar(&cfg.resetHost, "reset-host", false, "simulate a host boot: start from the boot policy, every domain halted")
	fs.StringVar(&cfg.hostTPM, "host-tpm", "", "TPM `device` used for policy attestation (default: an own swtpm instance)")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "log `level`: debug, info, warn, error")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shyped: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *showVersion {
		fmt.Fprintf(stdout, "shyped %s\n", version)
		return 0
	}
	log := logrus.New()
	log.SetOutput(stderr)
	level, err := logrus.ParseLevel(cfg.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "shyped: --log-level: %v\n", err)
		return 2
	}
	log.SetLevel(level)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, log); err != nil {
		log.WithError(err).Error("shyped stopped")
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg config, log *logrus.Logger) error {
	unlock, err := datadir.Lock(cfg.data)
	if err != nil {
		return err
	}
	defer unlock()
	start := time.Now()
	repo, err := repository.Open(datadir.Repository(cfg.data))
	if err != nil {
		return fmt.Errorf("opening the repository: %w", err)
	}
	var counts compile.Counts
	err = repo.Load(func(l *repository.Loader) error {
		var err error
		counts, err = schema.Load(l, cfg.schemaDir, schema.Namespaces...)
		return err
	})
	if err != nil {
		return err
	}
	if err := repo.Replay(); err != nil {
		return fmt.Errorf("restoring what clients stored: %w", err)
	}
	source := "embedded schema"
	if cfg.schemaDir != "" {
		source = "DMTF schema in " + cfg.schemaDir
	}
	log.WithFields(logrus.Fields{
		"component": "repository",
		"schema":    source,
		"elapsed":   time.Since(start).Round(time.Millisecond).String(),
	}).Infof("loaded %s into %v", counts, schema.Namespaces)

	// Indications go out until the very end: the engine closes after the HTTP
	// server and the providers (deferred first, run last).
	ind := openIndications(repo, log.WithField("component", "indication"))
	defer ind.close(log)

	vt, err := openVTPMs(ctx, cfg.data, cfg.resetHost, cfg.hostTPM, log.WithField("component", "vtpm"))
	if err != nil {
		return err
	}
	defer vt.close() // parks the running vTPMs: no swtpm process outlives the server
	sec, err := openSecurity(cfg.data, cfg.resetHost, log.WithField("component", "acm"), func(o *toolstack.Options) {
		o.VTPMs = vt.mgr
		o.PolicyChanged = vt.measure
		ind.hook(o)
	})
	if err != nil {
		return err
	}
	vt.reconcile(ctx, sec.ts)
	vt.measureAtStart(ctx, sec.ts.Enforced().Binary())
	pol := sec.admin.GetPolicy()
	log.WithFields(logrus.Fields{"component": "acm", "policy": pol.Name, "version": pol.Version, "flags": pol.Flags}).
		Info("access control policy in force")

	if cfg.resetHost {
		log.Info("host boot simulated (--reset-host)")
	}

	d := dispatch.New(repo, dispatch.Options{
		Logger:        log.WithField("component", "dispatch"),
		ParseEmbedded: mofInstanceParser(repo),
		Validate:      indication.ValidateFilter(repo.Class),
	})
	defer d.Close() // open enumeration contexts end with the server

	// Providers, in a plain list (style.md §3.1: no init() registration). Classes
	// without a provider are served from the repository's static instances.
	host := hostName()
	var att secpolicy.Attestor
	if vt.host != nil {
		att = attestor{vt.host}
	}
	secp := secpolicy.New(secpolicy.Options{Toolstack: sec.ts, HostName: host, Lookup: repo.Class, Attestor: att,
		Indications: ind.engine})
	ind.src.Store(secp)
	tpmp := tpm.New(tpm.Options{Manager: vt.manager(), Toolstack: sec.ts, HostName: host, Lookup: repo.Class, Dial: dialCIM})
	hosted := func(context.Context) ([]*cim.ObjectPath, error) {
		return []*cim.ObjectPath{secp.ServicePath(), tpmp.ServicePath()}, nil
	}
	profiles := []interop.Profile{{
		Organization:      interop.OrganizationOther,
		OtherOrganization: "Xen",
		Name:              "sHype Access Control",
		Version:           "1.0.0",
		Central:           centralOf(secp.ServicePath()),
	}}
	if vt.manager() != nil { // a profile is registered only where it is implemented in full
		profiles = append(profiles, interop.Profile{
			Organization:      interop.OrganizationOther,
			OtherOrganization: "Xen",
			Name:              "Virtual TPM",
			Version:           "1.0.0",
			Central:           centralOf(tpmp.ServicePath()),
		})
	}
	sysp := system.New(system.Options{Toolstack: sec.ts, HostName: host, Lookup: repo.Class, Services: hosted})
	regs := interop.New(interop.Options{
		Namespaces:              repo,
		Version:                 version,
		Lookup:                  repo.Class,
		SystemName:              host,
		SystemCreationClassName: "Xen_HostSystem",
		Profiles:                profiles,
	}).Registrations()
	regs = append(regs, sysp.Registrations()...)
	regs = append(regs, secp.Registrations()...)
	regs = append(regs, tpmp.Registrations()...)
	for _, r := range regs {
		if err := d.Register(r); err != nil {
			return fmt.Errorf("registering providers: %w", err)
		}
	}

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: cimom.New(d, cimom.Options{
			Logger:      log.WithField("component", "cimom"),
			BodyTimeout: bodyTimeout,
			// With an Authenticator (none yet), providers see the user.
			WithUser: func(ctx context.Context, user string) context.Context {
				return providers.WithPrincipal(ctx, providers.Principal{User: user})
			},
		}),
		// No WriteTimeout nor ReadTimeout: a long enumeration streams for as long as
		// it needs, and a read deadline passing during a request cancels its context
		// in net/http. The header and the body have their own bounds, idle
		// keep-alive connections theirs.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.WithField("listen", ln.Addr().String()).Infof("shyped %s serving", version)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// hostName is the name of the host system (Xen_HostSystem.Name), shared by every
// provider that names it.
func hostName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// centralOf is a profile's Central function for one central instance.
func centralOf(p *cim.ObjectPath) func(context.Context) ([]*cim.ObjectPath, error) {
	return func(context.Context) ([]*cim.ObjectPath, error) { return []*cim.ObjectPath{p}, nil }
}
