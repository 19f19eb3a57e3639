// Package layering holds no code, only the test that keeps Entente's
// package layering true: domain packages (stix, auth, and later chain,
// cluster, trace, audit) import no transport and no storage; transport
// packages (taxii, and later federation, web) and stores import the domain
// but never a concrete store; only internal/node and cmd/entente assemble.
package layering
