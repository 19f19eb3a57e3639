package stix

import (
	"encoding/json"
	"unicode"
)

// ExtensionAccess is the Entente access extension, a property extension
// naming who may read an AMBER, AMBER+STRICT or RED object besides its
// producer:
//
//	"extensions": {
//	  "extension-definition--ece81676-06b4-41db-bdc1-eb47375694c1": {
//	    "extension_type": "property-extension",
//	    "recipient_orgs": ["cert-lu", "bank-a"],
//	    "recipient_users": ["alice"]
//	  }
//	}
//
// recipient_orgs and recipient_users are optional lists of organization and
// user names as the nodes of a federation know them; Parse copies them to
// Object.RecipientOrgs and Object.RecipientUsers. Package auth decides with
// them: organizations count for AMBER and AMBER+STRICT, users for RED.
const ExtensionAccess = "extension-definition--ece81676-06b4-41db-bdc1-eb47375694c1"

// IdentityEntente is the identity that creates Entente's extension
// definitions.
const IdentityEntente = "identity--01e88315-edef-41d9-9557-5c449d164a43"

// Bounds on the access extension, which comes from outside: a list that
// long is a mistake or an attack, not an audience.
const (
	maxRecipients   = 1000
	maxRecipientLen = 256
)

// recipients reads the access extension, if the object has one.
func (o *object) recipients() (orgs, users []string, err error) {
	exts, err := o.extensions()
	if err != nil {
		return nil, nil, err
	}
	body, ok := exts[ExtensionAccess]
	if !ok {
		return nil, nil, nil
	}
	var et string
	_ = json.Unmarshal(body["extension_type"], &et) // a bad value stays "" and fails below
	if et != "property-extension" {
		return nil, nil, o.errf("extensions", "%s: extension_type must be property-extension", ExtensionAccess)
	}
	if orgs, err = o.recipientList(body, "recipient_orgs"); err != nil {
		return nil, nil, err
	}
	users, err = o.recipientList(body, "recipient_users")
	return orgs, users, err
}

func (o *object) recipientList(body map[string]json.RawMessage, p string) ([]string, error) {
	raw, ok := body[p]
	if !ok {
		return nil, nil
	}
	prop := "extensions." + p
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, o.errf(prop, "want a list of names")
	}
	if len(l) == 0 || len(l) > maxRecipients {
		return nil, o.errf(prop, "want 1 to %d names", maxRecipients)
	}
	for _, name := range l {
		if !validName(name) {
			return nil, o.errf(prop, "%.40q: want 1 to %d printable characters", name, maxRecipientLen)
		}
	}
	return l, nil
}

func validName(s string) bool {
	if s == "" || len(s) > maxRecipientLen {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// AccessExtensionDefinition returns the extension-definition object of
// ExtensionAccess, for nodes to serve beside objects that use it.
func AccessExtensionDefinition() []byte {
	return []byte(`{"type":"extension-definition","spec_version":"2.1","id":"` + ExtensionAccess + `",` +
		`"created_by_ref":"` + IdentityEntente + `","created":"2026-11-22T00:00:00.000Z","modified":"2026-11-22T00:00:00.000Z",` +
		`"name":"Entente access","description":"Names the organizations and users who may read an AMBER, AMBER+STRICT or RED object besides its producer.",` +
		`"schema":"A property extension with two optional lists of strings: recipient_orgs, organization names that may read the object under TLP:AMBER and TLP:AMBER+STRICT; recipient_users, user names that may read it under TLP:RED.",` +
		`"version":"1.0.0","extension_types":["property-extension"]}`)
}

// EntenteIdentity returns the identity object IdentityEntente.
func EntenteIdentity() []byte {
	return []byte(`{"type":"identity","spec_version":"2.1","id":"` + IdentityEntente + `",` +
		`"created":"2026-11-22T00:00:00.000Z","modified":"2026-11-22T00:00:00.000Z",` +
		`"name":"Entente","identity_class":"system","description":"The Entente threat-intelligence sharing node software."}`)
}
