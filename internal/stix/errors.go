package stix

import (
	"errors"
	"fmt"
)

// ValidationError says why one object is not valid STIX 2.1. The TAXII
// server puts its text in a status failure, so it names the type and the
// property the producer has to fix.
type ValidationError struct {
	Type     string // the object's type, when it could be read
	Property string // the offending property, empty for whole-object errors
	Reason   string
}

func (e *ValidationError) Error() string {
	var s string
	if e.Type != "" {
		s = e.Type + ": "
	}
	if e.Property != "" {
		s += fmt.Sprintf("property %q: ", e.Property)
	}
	return s + e.Reason
}

// Envelope errors, wrapped with detail; test with errors.Is. The TAXII
// server maps ErrTooManyObjects to 413, ErrTooDeep and ErrMalformedJSON to
// 400 and ErrNotEnvelope to 422.
var (
	ErrTooManyObjects = errors.New("too many objects")
	ErrTooDeep        = errors.New("JSON nested too deeply")
	ErrMalformedJSON  = errors.New("malformed JSON")
	ErrNotEnvelope    = errors.New("not a TAXII envelope or STIX bundle")
)
