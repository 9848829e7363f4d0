// Package tests holds the end-to-end tests: they build the real binaries (shyped,
// mofc) and drive them as a user or client would, and they check the import rules
// that keep the layers apart.
package tests
