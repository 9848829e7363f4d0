package cimclient_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"

	"github.com/sirupsen/logrus"

	"github.com/shypecim/shypecim/cimom"
	"github.com/shypecim/shypecim/cimom/cimclient"
	"github.com/shypecim/shypecim/cimom/dispatch"
	"github.com/shypecim/shypecim/cimom/repository"
	"github.com/shypecim/shypecim/mof/schema"
	"github.com/shypecim/shypecim/providers/interop"
)

// Example lists the profiles a server advertises, as shypectl would.
func Example() {
	// A server in-process; a real tool connects to shyped instead.
	repo := repository.New()
	if err := repo.Load(func(l *repository.Loader) error {
		_, err := schema.Load(l, "", schema.Namespaces...)
		return err
	}); err != nil {
		fmt.Println(err)
		return
	}
	d := dispatch.New(repo, dispatch.Options{})
	defer d.Close()
	for _, r := range interop.New(interop.Options{Namespaces: repo, Lookup: repo.Class}).Registrations() {
		_ = d.Register(r)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	srv := httptest.NewServer(cimom.New(d, cimom.Options{Logger: logrus.NewEntry(log)}))
	defer srv.Close()

	c, err := cimclient.New(srv.URL) // such as http://localhost:5988
	if err != nil {
		fmt.Println(err)
		return
	}
	profiles, err := c.EnumerateInstances(context.Background(), "interop", "CIM_RegisteredProfile")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range profiles {
		name := p.Instance.Property("RegisteredName")
		version := p.Instance.Property("RegisteredVersion")
		fmt.Println(name.Value, version.Value)
	}
	// Output:
	// Profile Registration 1.0.0
}
