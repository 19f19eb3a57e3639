// Package stix reads and validates STIX 2.1 objects for an Entente node.
package stix
