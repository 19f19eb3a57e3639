package chain

import (
	"errors"
	"fmt"
)

// ParseError reports malformed block data and where it was found.
type ParseError struct {
	// Offset is the byte offset of the fault from the start of the block
	// (or of the file, for errors from [BlockFileReader]).
	Offset int
	// Reason says what was wrong.
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("chain: offset %d: %s", e.Offset, e.Reason)
}

// FileError is a fault in a block file: the file name and the offset of the
// record (magic) where it happened, around the cause.
type FileError struct {
	File   string
	Offset int64
	Err    error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("chain: %s at offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// ErrNoAddress is returned for scripts that have no address form: bare
// multisig, OP_RETURN and non-standard scripts.
var ErrNoAddress = errors.New("chain: script has no address")

// ErrUnknownNetwork is returned by [ParseNetwork] for an unsupported name.
var ErrUnknownNetwork = errors.New("chain: unknown network")
