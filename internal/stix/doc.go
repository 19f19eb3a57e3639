// Package stix reads and validates STIX 2.1 objects for an Entente node:
// one object with [Parse], a TAXII envelope or STIX bundle with
// [ParseEnvelope], timestamps with [ParseTimestamp] and [FormatTimestamp].
// It also defines Entente's own extensions: the access extension
// ([ExtensionAccess]) and the cryptocurrency observables.
//
// It is not a STIX object model: a parsed [Object] keeps the bytes it was
// given (compacted) and pulls out only what the node indexes (type, id,
// versions, TLP, recipients). It does not evaluate patterns, resolve
// references between objects, or fetch extension definitions; and it
// imports no storage and no transport.
//
// # What Parse checks
//
// Parse follows STIX 2.1 (OASIS Standard, 10 June 2021). For every object:
// property names (3-250 of a-z, 0-9, _), no null values and no empty
// lists, the type name, an id of the form type--UUID (RFC 4122, versions
// 1-5; UUIDv5 is not enforced for SCOs) whose type part is the type, and
// identifiers in every *_ref and *_refs property. By kind:
//
//   - SDOs, SROs, extension-definition and language-content: spec_version
//     "2.1", created and modified (modified not before created),
//     created_by_ref to an identity, revoked, labels, confidence 0-100,
//     lang, external_references, object_marking_refs, granular_markings and
//     extensions.
//   - SCOs: spec_version optional (but "2.1" if given), defanged,
//     markings and extensions. SCOs have no versions.
//   - marking-definition: spec_version, created, and either the TLP 1.0 or
//     statement definition_type/definition, or an extension (TLP 2.0).
//
// Then each type's required properties, closed enumerations (opinion,
// artifact encryption_algorithm, extension_type) and the target types the
// specification fixes for references (sighting.where_sighted_refs to
// identity or location, file.parent_directory_ref to directory, ...).
// Open vocabularies (pattern_type, identity_class, ...) accept any value.
//
// A type the specification does not define is a custom object (section
// 7.3) and accepted only if its extensions name an extension-definition id
// with extension_type new-sdo, new-sro or new-sco. The cryptocurrency
// types are the exception: OpenCTI exports them without that entry.
//
// Top-level property names must be unique (readers disagree on which of two
// to keep). Bitcoin addresses are checked with their checksums.
//
// The predefined SCO extensions (archive-ext, http-request-ext, ...) must
// extend their own type and have their required properties; their
// property values are not checked further. Parse does not require
// the millisecond precision the OASIS schemas want for created and
// modified, nor check STIX patterns.
//
// # TLP
//
// [Object.TLP] is the most restrictive TLP among object_marking_refs and
// granular_markings[].marking_ref, by the TLP 2.0 marking definitions and
// the TLP 1.0 ones of section 7.2.1.4 (WHITE counts as CLEAR). Markings
// other than TLP are ignored for it.
//
// # Envelopes
//
// [ParseEnvelope] and Parse are the ingest path, so they read each byte
// of a body twice in all: ParseEnvelope scans the body once, checking its
// JSON syntax, bounding the nesting depth (encoding/json has no depth
// limit the caller controls) and counting objects before keeping each;
// Parse scans each object once more, which finds its top-level properties
// and tells whether it is already compact. Only the property values the
// checks need are then decoded, most strings and timestamps in place. Its
// errors wrap [ErrTooDeep], [ErrTooManyObjects], [ErrMalformedJSON] or
// [ErrNotEnvelope].
//
// # Extensions defined here
//
// Entente assigns fixed extension-definition ids, listed with their
// definitions: [ExtensionAccess] ([AccessExtensionDefinition]),
// [ExtensionCryptocurrencyWallet] ([CryptocurrencyWalletDefinition]) and
// [ExtensionCryptocurrencyTransaction]
// ([CryptocurrencyTransactionDefinition]), all created by
// [IdentityEntente] ([EntenteIdentity]).
//
// Everything here is written by hand: the STIX libraries for Go validate
// less than this, and the OASIS JSON schemas (used by the tests, through
// package stixschema) are too slow for the ingest path and non-normative.
// So is the JSON scanner (scan.go): encoding/json reads a body about six
// times to do the same, and the ingest rate the node needs leaves a few
// microseconds per object. Fuzz tests hold the scanner to encoding/json's
// verdict on every input.
package stix
