// Command shypectl is the xm of shypecim: it manages the domains and the sHype
// access control of a shyped server, speaking only CIM-XML to it (the classes of
// docs/cim-model.md), and prints what Xen 3.4's xm printed (acm.md §0, §6).
//
// Usage:
//
//	shypectl [--url URL] [--user NAME] [--password PW] <command> [args]
//
// The server is --url, else $SHYPE_URL, else http://localhost:5988; credentials
// are --user/--password, else $SHYPE_USER/$SHYPE_PASSWORD, sent with Basic
// authentication. Errors go to stderr as "Error: <message>" with exit status 1;
// a failed dry-run exits with 255 as xm's sys.exit(-1) did.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/shypecim/shypecim/cimom/cim"
	"github.com/shypecim/shypecim/cimom/cimclient"
)

// defaultURL is the server when neither --url nor $SHYPE_URL names one.
const defaultURL = "http://localhost:5988"

// Exit statuses.
const (
	exitOK     = 0
	exitError  = 1
	exitDryRun = 255 // xm's sys.exit(-1) after "Dry Run: FAILED"
)

func main() {
	wd, _ := os.Getwd()
	a := &app{
		ctx:    context.Background(),
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		wd:     wd,
	}
	os.Exit(a.run(os.Args[1:]))
}

// cimAPI is what shypectl needs of a CIM client; *cimclient.Client has it,
// tests pass a fake.
type cimAPI interface {
	EnumerateInstances(ctx context.Context, ns, class string) ([]cim.Object, error)
	EnumerateInstanceNames(ctx context.Context, ns, class string) ([]*cim.ObjectPath, error)
	GetInstance(ctx context.Context, path *cim.ObjectPath) (*cim.Instance, error)
	InvokeMethod(ctx context.Context, target *cim.ObjectPath, method string, in []cim.ParamValue) (any, []cim.ParamValue, error)
}

// app is one invocation of shypectl: its streams, environment and server.
type app struct {
	ctx            context.Context
	stdout, stderr io.Writer
	getenv         func(string) string
	// wd is the working directory: relative config files, policy files and
	// file:/tap: resources are resolved against it.
	wd string

	url, user, password string
	// dial connects to the server; nil means cimclient.New. Tests set it.
	dial func(url, user, password string) (cimAPI, error)
	api  cimAPI

	// cached service paths
	vsms, secsvc *cim.ObjectPath
}

// cliError is a failure reported as "Error: <msg>" with exit status 1.
type cliError struct{ msg string }

func (e *cliError) Error() string { return e.msg }

func errorf(format string, args ...any) error {
	return &cliError{msg: fmt.Sprintf(format, args...)}
}

// usageError is a wrong invocation of a command: xm printed the error and the
// command's usage, and exited with 1.
type usageError struct {
	cmd, msg string
}

func (e *usageError) Error() string { return e.msg }

// exitStatus ends a command with a status other than 0 without a message of
// its own (dry-run's FAILED verdict).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// command is one shypectl command.
type command struct {
	name  string
	args  string // the argument synopsis for usage lines
	help  string // one line of description
	run   func(a *app, args []string) error
	group string
}

// commands lists every command; help prints them in this order.
var commands []*command

func init() {
	commands = append(append(domainCommands(), securityCommands()...), vtpmCommands()...)
}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run executes shypectl with args (without the program name) and returns the
// exit status.
func (a *app) run(args []string) int {
	args, err := a.globalFlags(args)
	if err != nil {
		fmt.Fprintf(a.stderr, "Error: %s\n\n", err)
		a.printHelp(a.stderr)
		return exitError
	}
	if len(args) == 0 {
		a.printHelp(a.stderr)
		return exitError
	}
	name := args[0]
	if name == "help" || name == "--help" || name == "-h" {
		if len(args) > 1 {
			if c := lookupCommand(args[1]); c != nil {
				a.printUsage(a.stdout, c)
				return exitOK
			}
		}
		a.printHelp(a.stdout)
		return exitOK
	}
	c := lookupCommand(name)
	if c == nil {
		fmt.Fprintf(a.stderr, "Error: Subcommand %s not found!\n\n", name)
		a.printHelp(a.stderr)
		return exitError
	}
	rest := args[1:]
	for _, arg := range rest {
		if arg == "--help" || arg == "-h" {
			a.printUsage(a.stdout, c)
			return exitOK
		}
	}
	err = c.run(a, rest)
	return a.report(c, err)
}

// report prints err as xm did and returns the exit status.
func (a *app) report(c *command, err error) int {
	if err == nil {
		return exitOK
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.stderr, "Error: %s\n\n", ue.msg)
		a.printUsage(a.stderr, c)
		return exitError
	}
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Op == "dial" {
		fmt.Fprintf(a.stderr, "Error: Unable to connect to shyped at %s: %v\n", a.url, ne.Err)
		return exitError
	}
	fmt.Fprintf(a.stderr, "Error: %s\n", message(err))
	return exitError
}

// message is the text a user sees for err: a CIM error's description (Xen's
// message verbatim, cim-model.md §0), else the error itself.
func message(err error) string {
	var ce *cim.Error
	if errors.As(err, &ce) {
		if ce.Description != "" {
			return ce.Description
		}
		return ce.Code.String()
	}
	return err.Error()
}

// globalFlags consumes --url, --user and --password before the command and
// applies the environment defaults.
func (a *app) globalFlags(args []string) ([]string, error) {
	a.url = a.getenv("SHYPE_URL")
	a.user = a.getenv("SHYPE_USER")
	a.password = a.getenv("SHYPE_PASSWORD")
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		name, val, hasVal := strings.Cut(args[0], "=")
		var dst *string
		switch name {
		case "--url":
			dst = &a.url
		case "--user":
			dst = &a.user
		case "--password":
			dst = &a.password
		default:
			if name == "--help" {
				return args, nil
			}
			return nil, fmt.Errorf("option %s not recognized", name)
		}
		args = args[1:]
		if !hasVal {
			if len(args) == 0 {
				return nil, fmt.Errorf("option %s requires argument", name)
			}
			val, args = args[0], args[1:]
		}
		*dst = val
	}
	if a.url == "" {
		a.url = defaultURL
	}
	return args, nil
}

// client returns the connection to the server, dialling it on first use.
func (a *app) client() (cimAPI, error) {
	if a.api != nil {
		return a.api, nil
	}
	dial := a.dial
	if dial == nil {
		dial = func(url, user, password string) (cimAPI, error) {
			var opts []cimclient.Option
			if user != "" {
				opts = append(opts, cimclient.WithAuth(user, password))
			}
			return cimclient.New(url, opts...)
		}
	}
	c, err := dial(a.url, a.user, a.password)
	if err != nil {
		return nil, errorf("Bad server URL '%s': %v", a.url, err)
	}
	a.api = c
	return c, nil
}

func (a *app) printHelp(w io.Writer) {
	fmt.Fprintln(w, "Usage: shypectl [--url URL] [--user NAME] [--password PW] <subcommand> [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Control the domains and the sHype access control of a shyped server.")
	for _, group := range []string{"Domain commands", "Security commands", "vTPM commands"} {
		fmt.Fprintf(w, "\n%s:\n", group)
		var cs []*command
		for _, c := range commands {
			if c.group == group {
				cs = append(cs, c)
			}
		}
		for _, c := range cs {
			fmt.Fprintf(w, " %-14s %s\n", c.name, c.help)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "<Domain> can either be the Domain Name, the Domain ID or the UUID.")
	fmt.Fprintln(w, "The server is --url, else $SHYPE_URL, else "+defaultURL+".")
	fmt.Fprintln(w, "For more help on 'shypectl <subcommand>' see 'shypectl <subcommand> --help'.")
}

func (a *app) printUsage(w io.Writer, c *command) {
	for i, line := range strings.Split(c.args, "\n") {
		if i == 0 {
			fmt.Fprintf(w, "Usage: shypectl %s %s\n", c.name, line)
		} else {
			fmt.Fprintf(w, "       shypectl %s %s\n", c.name, line)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, c.help)
}
