package stix

import (
	"encoding/json"
	"time"
)

// TLP is a Traffic Light Protocol 2.0 level, ordered from least to most
// restrictive so that the most restrictive of several markings is the max.
type TLP int8

const (
	TLPUnmarked    TLP = 0 // no TLP marking: the collection default applies
	TLPClear       TLP = 1
	TLPGreen       TLP = 2
	TLPAmber       TLP = 3
	TLPAmberStrict TLP = 4
	TLPRed         TLP = 5
)

// The TLP 2.0 marking definitions published with the OASIS TLP 2.0 extension
// (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d).
const (
	MarkingTLPClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	MarkingTLPGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	MarkingTLPAmber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	MarkingTLPAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	MarkingTLPRed         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// The TLP 1.0 marking definitions of STIX 2.1 section 7.2.1.4, still used by
// most producers; they map onto TLP 2.0 (WHITE is CLEAR).
const (
	MarkingTLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	MarkingTLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	MarkingTLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	MarkingTLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

// Object is one validated STIX 2.1 object version, with the properties the
// node indexes pulled out of it. Raw is what the node stores and serves.
type Object struct {
	Type        string
	ID          string
	SpecVersion string    // "2.1"; SCOs without spec_version get "2.1"
	Created     time.Time // zero when the object has none (SCOs)
	Modified    time.Time // zero when the object has none
	// TLP is the most restrictive TLP marking among object_marking_refs and
	// granular_markings, or TLPUnmarked.
	TLP TLP
	// RecipientOrgs and RecipientUsers come from the Entente access
	// extension (ExtensionAccess), naming who may read AMBER, AMBER+STRICT
	// and RED objects besides the producer.
	RecipientOrgs  []string
	RecipientUsers []string
	Raw            json.RawMessage // the object as received, compacted
}

// Versioned reports whether the object type has versions (SDOs, SROs,
// language content). SCOs, marking definitions and extension definitions
// without modified have a single version.
func (o *Object) Versioned() bool { return !o.Modified.IsZero() }

// Version is the object's version timestamp for TAXII: modified, else
// created, else the zero time (the server then uses date_added, as TAXII 2.1
// section 3.6 says).
func (o *Object) Version() time.Time {
	if !o.Modified.IsZero() {
		return o.Modified
	}
	return o.Created
}
