package stix_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/entente/entente/internal/stix"
)

const (
	uuidA = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	uuidB = "0b6a3f2c-9d4e-4f1a-8b2c-3d4e5f607182"
)

// TestParseInvalid breaks one property of a valid object per case and
// checks the error names that property.
func TestParseInvalid(t *testing.T) {
	valid := readValid(t)
	tests := []struct {
		name     string
		file     string
		set      map[string]any // properties to set (raw JSON values)
		del      []string
		wantProp string
		wantText string
	}{
		// Common properties.
		{name: "no type", file: "indicator", del: []string{"type"}, wantProp: "type", wantText: "required"},
		{name: "bad type name", file: "indicator", set: map[string]any{"type": "Indicator"}, wantProp: "type", wantText: "not a STIX type"},
		{name: "type with double hyphen", file: "indicator", set: map[string]any{"type": "x--y"}, wantProp: "type"},
		{name: "type not string", file: "indicator", set: map[string]any{"type": 7}, wantProp: "type", wantText: "string"},
		{name: "id of other type", file: "indicator", set: map[string]any{"id": "malware--" + uuidA}, wantProp: "id", wantText: "type part"},
		{name: "id bad uuid", file: "indicator", set: map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3"}, wantProp: "id"},
		{name: "id uuid version 0", file: "indicator", set: map[string]any{"id": "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"}, wantProp: "id"},
		{name: "id uuid wrong variant", file: "indicator", set: map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f"}, wantProp: "id"},
		{name: "no spec_version", file: "indicator", del: []string{"spec_version"}, wantProp: "spec_version", wantText: "required"},
		{name: "spec_version 2.0", file: "indicator", set: map[string]any{"spec_version": "2.0"}, wantProp: "spec_version"},
		{name: "SCO spec_version 2.0", file: "url", set: map[string]any{"spec_version": "2.0"}, wantProp: "spec_version"},
		{name: "no created", file: "malware", del: []string{"created"}, wantProp: "created", wantText: "required"},
		{name: "created with offset", file: "malware", set: map[string]any{"created": "2026-03-01T10:00:00+01:00"}, wantProp: "created"},
		{name: "modified before created", file: "malware", set: map[string]any{"modified": "2026-02-01T10:00:00.000Z"}, wantProp: "modified", wantText: "before created"},
		{name: "created_by_ref not identity", file: "malware", set: map[string]any{"created_by_ref": "malware--" + uuidA}, wantProp: "created_by_ref", wantText: "identity"},
		{name: "confidence 101", file: "malware", set: map[string]any{"confidence": 101}, wantProp: "confidence"},
		{name: "confidence fraction", file: "malware", set: map[string]any{"confidence": 1.5}, wantProp: "confidence"},
		{name: "labels not list", file: "malware", set: map[string]any{"labels": "x"}, wantProp: "labels"},
		{name: "empty list", file: "malware", set: map[string]any{"labels": []any{}}, wantProp: "labels", wantText: "empty list"},
		{name: "null value", file: "malware", set: map[string]any{"description": nil}, wantProp: "description", wantText: "null"},
		{name: "lang with space", file: "malware", set: map[string]any{"lang": "en US"}, wantProp: "lang"},
		{name: "revoked not bool", file: "malware", set: map[string]any{"revoked": "yes"}, wantProp: "revoked"},
		{name: "bad property name", file: "malware", set: map[string]any{"X_Custom": 1}, wantProp: "X_Custom"},
		{name: "short property name", file: "malware", set: map[string]any{"xy": 1}, wantProp: "xy"},
		{name: "reserved property", file: "malware", set: map[string]any{"severity": "high"}, wantProp: "severity", wantText: "reserved"},
		{name: "custom ref not identifier", file: "malware", set: map[string]any{"x_case_ref": "42"}, wantProp: "x_case_ref"},
		{name: "external reference without source", file: "malware", set: map[string]any{"external_references": []any{map[string]any{"url": "https://x"}}}, wantProp: "external_references[0]", wantText: "source_name"},
		{name: "external reference only source", file: "malware", set: map[string]any{"external_references": []any{map[string]any{"source_name": "x"}}}, wantProp: "external_references[0]"},
		{name: "external reference bad hash", file: "malware", set: map[string]any{"external_references": []any{map[string]any{"source_name": "x", "url": "https://x", "hashes": map[string]any{"SHA-256": "abc"}}}}, wantProp: "external_references[0].hashes"},
		{name: "marking ref not marking", file: "malware", set: map[string]any{"object_marking_refs": []any{"identity--" + uuidA}}, wantProp: "object_marking_refs"},
		{name: "granular without selectors", file: "malware", set: map[string]any{"granular_markings": []any{map[string]any{"marking_ref": stix.MarkingTLPRed}}}, wantProp: "granular_markings[0]", wantText: "selectors"},
		{name: "granular with both", file: "malware", set: map[string]any{"granular_markings": []any{map[string]any{"selectors": []any{"name"}, "marking_ref": stix.MarkingTLPRed, "lang": "en"}}}, wantProp: "granular_markings[0]"},
		{name: "granular ref wrong type", file: "malware", set: map[string]any{"granular_markings": []any{map[string]any{"selectors": []any{"name"}, "marking_ref": "identity--" + uuidA}}}, wantProp: "granular_markings[0].marking_ref"},
		{name: "extension without type", file: "malware", set: map[string]any{"extensions": map[string]any{"extension-definition--" + uuidA: map[string]any{"x": 1}}}, wantProp: "extensions", wantText: "extension_type required"},
		{name: "extension bad type", file: "malware", set: map[string]any{"extensions": map[string]any{"extension-definition--" + uuidA: map[string]any{"extension_type": "new-thing"}}}, wantProp: "extensions"},
		{name: "extension bad key", file: "malware", set: map[string]any{"extensions": map[string]any{"mine": map[string]any{"a": 1}}}, wantProp: "extensions", wantText: "key"},

		{name: "predefined extension on wrong type", file: "url", set: map[string]any{"extensions": map[string]any{"archive-ext": map[string]any{"contains_refs": []any{"file--" + uuidA}}}}, wantProp: "extensions", wantText: "file objects only"},
		{name: "predefined extension missing property", file: "network-traffic", set: map[string]any{"extensions": map[string]any{"http-request-ext": map[string]any{"request_method": "get"}}}, wantProp: "extensions", wantText: "request_value"},
		{name: "predefined extension none of", file: "network-traffic", set: map[string]any{"extensions": map[string]any{"tcp-ext": map[string]any{"x_other": 1}}}, wantProp: "extensions", wantText: "at least one"},

		// SDOs.
		{name: "attack-pattern no name", file: "attack-pattern", del: []string{"name"}, wantProp: "name"},
		{name: "attack-pattern bad kill chain", file: "attack-pattern", set: map[string]any{"kill_chain_phases": []any{map[string]any{"phase_name": "x"}}}, wantProp: "kill_chain_phases[0]"},
		{name: "campaign last before first", file: "campaign", set: map[string]any{"last_seen": "2020-01-01T00:00:00Z"}, wantProp: "last_seen"},
		{name: "course-of-action no name", file: "course-of-action", del: []string{"name"}, wantProp: "name"},
		{name: "grouping no context", file: "grouping", del: []string{"context"}, wantProp: "context"},
		{name: "grouping no object_refs", file: "grouping", del: []string{"object_refs"}, wantProp: "object_refs"},
		{name: "identity no name", file: "identity", del: []string{"name"}, wantProp: "name"},
		{name: "incident no name", file: "incident", del: []string{"name"}, wantProp: "name"},
		{name: "indicator no pattern", file: "indicator", del: []string{"pattern"}, wantProp: "pattern", wantText: "required"},
		{name: "indicator no pattern_type", file: "indicator", del: []string{"pattern_type"}, wantProp: "pattern_type"},
		{name: "indicator no valid_from", file: "indicator", del: []string{"valid_from"}, wantProp: "valid_from"},
		{name: "indicator valid_until not after", file: "indicator", set: map[string]any{"valid_until": "2026-03-01T10:00:00Z"}, wantProp: "valid_until"},
		{name: "infrastructure no name", file: "infrastructure", del: []string{"name"}, wantProp: "name"},
		{name: "intrusion-set no name", file: "intrusion-set", del: []string{"name"}, wantProp: "name"},
		{name: "location latitude only", file: "location", del: []string{"longitude", "precision"}, wantProp: "longitude"},
		{name: "location latitude range", file: "location", set: map[string]any{"latitude": 91}, wantProp: "latitude"},
		{name: "location nothing", file: "location", del: []string{"country", "latitude", "longitude", "precision"}, wantText: "at least one"},
		{name: "malware no is_family", file: "malware", del: []string{"is_family"}, wantProp: "is_family"},
		{name: "malware family without name", file: "malware", del: []string{"name"}, wantProp: "name"},
		{name: "malware sample not file", file: "malware", set: map[string]any{"sample_refs": []any{"url--" + uuidA}}, wantProp: "sample_refs"},
		{name: "malware-analysis no product", file: "malware-analysis", del: []string{"product"}, wantProp: "product"},
		{name: "malware-analysis no result", file: "malware-analysis", del: []string{"result", "analysis_sco_refs"}, wantText: "result"},
		{name: "malware-analysis host not software", file: "malware-analysis", set: map[string]any{"host_vm_ref": "file--" + uuidA}, wantProp: "host_vm_ref"},
		{name: "note no content", file: "note", del: []string{"content"}, wantProp: "content"},
		{name: "observed-data count 0", file: "observed-data", set: map[string]any{"number_observed": 0}, wantProp: "number_observed"},
		{name: "observed-data objects and refs", file: "observed-data", set: map[string]any{"objects": map[string]any{"0": map[string]any{"type": "url", "value": "x"}}}, wantProp: "object_refs"},
		{name: "observed-data refers to SDO", file: "observed-data", set: map[string]any{"object_refs": []any{"malware--" + uuidA}}, wantProp: "object_refs"},
		{name: "opinion closed enum", file: "opinion", set: map[string]any{"opinion": "maybe"}, wantProp: "opinion"},
		{name: "report no published", file: "report", del: []string{"published"}, wantProp: "published"},
		{name: "threat-actor no name", file: "threat-actor", del: []string{"name"}, wantProp: "name"},
		{name: "tool no name", file: "tool", del: []string{"name"}, wantProp: "name"},
		{name: "vulnerability no name", file: "vulnerability", del: []string{"name"}, wantProp: "name"},

		// SROs.
		{name: "relationship no type", file: "relationship", del: []string{"relationship_type"}, wantProp: "relationship_type"},
		{name: "relationship type uppercase", file: "relationship", set: map[string]any{"relationship_type": "Indicates"}, wantProp: "relationship_type"},
		{name: "relationship to marking", file: "relationship", set: map[string]any{"target_ref": stix.MarkingTLPRed}, wantProp: "target_ref"},
		{name: "relationship no source", file: "relationship", del: []string{"source_ref"}, wantProp: "source_ref"},
		{name: "sighting no sighting_of_ref", file: "sighting", del: []string{"sighting_of_ref"}, wantProp: "sighting_of_ref"},
		{name: "sighting where not identity", file: "sighting", set: map[string]any{"where_sighted_refs": []any{"malware--" + uuidA}}, wantProp: "where_sighted_refs", wantText: "identity or location"},
		{name: "sighting observed not observed-data", file: "sighting", set: map[string]any{"observed_data_refs": []any{"indicator--" + uuidA}}, wantProp: "observed_data_refs"},
		{name: "sighting negative count", file: "sighting", set: map[string]any{"count": -1}, wantProp: "count"},

		// SCOs.
		{name: "artifact both payload and url", file: "artifact", set: map[string]any{"url": "https://x"}, wantProp: "payload_bin"},
		{name: "artifact url without hashes", file: "artifact", del: []string{"payload_bin"}, set: map[string]any{"url": "https://x"}, wantProp: "hashes"},
		{name: "artifact bad base64", file: "artifact", set: map[string]any{"payload_bin": "***"}, wantProp: "payload_bin"},
		{name: "artifact bad algorithm", file: "artifact", set: map[string]any{"encryption_algorithm": "rot13"}, wantProp: "encryption_algorithm"},
		{name: "autonomous-system no number", file: "autonomous-system", del: []string{"number"}, wantProp: "number"},
		{name: "autonomous-system negative", file: "autonomous-system", set: map[string]any{"number": -5}, wantProp: "number"},
		{name: "directory no path", file: "directory", del: []string{"path"}, wantProp: "path"},
		{name: "domain-name no value", file: "domain-name", del: []string{"value"}, wantProp: "value"},
		{name: "domain-name resolves to url", file: "domain-name", set: map[string]any{"resolves_to_refs": []any{"url--" + uuidA}}, wantProp: "resolves_to_refs"},
		{name: "email-addr no value", file: "email-addr", del: []string{"value"}, wantProp: "value"},
		{name: "email-addr belongs to file", file: "email-addr", set: map[string]any{"belongs_to_ref": "file--" + uuidA}, wantProp: "belongs_to_ref"},
		{name: "email-message no is_multipart", file: "email-message", del: []string{"is_multipart"}, wantProp: "is_multipart"},
		{name: "email-message multipart with body", file: "email-message", set: map[string]any{"is_multipart": true}, wantProp: "body"},
		{name: "email-message from not email-addr", file: "email-message", set: map[string]any{"from_ref": "url--" + uuidA}, wantProp: "from_ref"},
		{name: "file neither hashes nor name", file: "file", del: []string{"hashes", "name"}, wantText: "at least one"},
		{name: "file bad SHA-256", file: "file", set: map[string]any{"hashes": map[string]any{"SHA-256": "zz"}}, wantProp: "hashes"},
		{name: "file parent not directory", file: "file", set: map[string]any{"parent_directory_ref": "file--" + uuidA}, wantProp: "parent_directory_ref", wantText: "directory"},
		{name: "file negative size", file: "file", set: map[string]any{"size": -1}, wantProp: "size"},
		{name: "ipv4-addr v6 value", file: "ipv4-addr", set: map[string]any{"value": "2001:db8::1"}, wantProp: "value"},
		{name: "ipv4-addr garbage", file: "ipv4-addr", set: map[string]any{"value": "300.1.1.1"}, wantProp: "value"},
		{name: "ipv6-addr v4 value", file: "ipv6-addr", set: map[string]any{"value": "10.0.0.0/8"}, wantProp: "value"},
		{name: "ipv4-addr resolves to domain", file: "ipv4-addr", set: map[string]any{"resolves_to_refs": []any{"domain-name--" + uuidA}}, wantProp: "resolves_to_refs"},
		{name: "mac-addr uppercase", file: "mac-addr", set: map[string]any{"value": "00:00:5E:00:53:AF"}, wantProp: "value"},
		{name: "mutex no name", file: "mutex", del: []string{"name"}, wantProp: "name"},
		{name: "network-traffic no protocols", file: "network-traffic", del: []string{"protocols"}, wantProp: "protocols"},
		{name: "network-traffic no ends", file: "network-traffic", del: []string{"src_ref", "dst_ref"}, wantText: "src_ref"},
		{name: "network-traffic port", file: "network-traffic", set: map[string]any{"dst_port": 70000}, wantProp: "dst_port"},
		{name: "network-traffic src is url", file: "network-traffic", set: map[string]any{"src_ref": "url--" + uuidA}, wantProp: "src_ref"},
		{name: "process empty", file: "process", del: []string{"pid", "command_line"}, wantText: "at least one"},
		{name: "process parent not process", file: "process", set: map[string]any{"parent_ref": "file--" + uuidA}, wantProp: "parent_ref"},
		{name: "software no name", file: "software", del: []string{"name"}, wantProp: "name"},
		{name: "url no value", file: "url", del: []string{"value"}, wantProp: "value"},
		{name: "user-account empty", file: "user-account", del: []string{"user_id", "account_login"}, wantText: "at least one"},
		{name: "windows-registry-key empty", file: "windows-registry-key", del: []string{"key"}, wantText: "at least one"},
		{name: "x509-certificate empty", file: "x509-certificate", del: []string{"serial_number", "issuer"}, wantText: "at least one"},

		// Meta objects.
		{name: "marking no definition", file: "marking-definition-statement", del: []string{"definition"}, wantProp: "definition"},
		{name: "marking bad tlp", file: "marking-definition-tlp1-amber", set: map[string]any{"definition": map[string]any{"tlp": "purple"}}, wantProp: "definition"},
		{name: "marking nothing", file: "marking-definition-tlp2-amber-strict", del: []string{"extensions"}, wantProp: "definition_type"},
		{name: "marking no created", file: "marking-definition-statement", del: []string{"created"}, wantProp: "created"},
		{name: "language-content bad lang key", file: "language-content", set: map[string]any{"contents": map[string]any{"f r": map[string]any{"name": "x"}}}, wantProp: "contents"},
		{name: "language-content no contents", file: "language-content", del: []string{"contents"}, wantProp: "contents"},
		{name: "custom type without extension", file: "custom-sdo", del: []string{"extensions"}, wantProp: "type", wantText: "unknown type"},
		{name: "custom type with property extension only", file: "custom-sdo", set: map[string]any{"extensions": map[string]any{"extension-definition--" + uuidB: map[string]any{"extension_type": "property-extension"}}}, wantProp: "type"},

		// Entente extensions.
		{name: "access extension wrong type", file: "indicator", set: map[string]any{"extensions": map[string]any{stix.ExtensionAccess: map[string]any{"extension_type": "new-sdo"}}}, wantProp: "extensions"},
		{name: "access recipients not strings", file: "indicator", set: map[string]any{"extensions": map[string]any{stix.ExtensionAccess: map[string]any{"extension_type": "property-extension", "recipient_orgs": []any{1}}}}, wantProp: "extensions.recipient_orgs"},
		{name: "access recipient empty name", file: "indicator", set: map[string]any{"extensions": map[string]any{stix.ExtensionAccess: map[string]any{"extension_type": "property-extension", "recipient_users": []any{""}}}}, wantProp: "extensions.recipient_users"},
		{name: "wallet no value", file: "cryptocurrency-wallet-opencti", del: []string{"value"}, wantProp: "value"},
		{name: "wallet bad bitcoin address", file: "cryptocurrency-wallet-opencti", set: map[string]any{"chain": "bitcoin", "value": "1BfQ8YnbDWvDCYB5fGNJcrPCjJjeyFgWQ0"}, wantProp: "value"},
		{name: "wallet mixed-case bech32", file: "cryptocurrency-wallet-opencti", set: map[string]any{"chain": "bitcoin", "value": "bc1qA5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6"}, wantProp: "value"},
		{name: "wallet spaces", file: "cryptocurrency-wallet-opencti", set: map[string]any{"value": "a b"}, wantProp: "value"},
		{name: "wallet wrong extension type", file: "cryptocurrency-wallet-opencti", set: map[string]any{"extensions": map[string]any{stix.ExtensionCryptocurrencyWallet: map[string]any{"extension_type": "new-sdo"}}}, wantProp: "extensions"},
		{name: "transaction short txid", file: "cryptocurrency-transaction", set: map[string]any{"value": "abcd"}, wantProp: "value"},
		{name: "transaction 0x on bitcoin", file: "cryptocurrency-transaction", set: map[string]any{"value": "0x4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"}, wantProp: "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, ok := valid[tt.file]
			if !ok {
				t.Fatalf("no testdata/valid/%s.json", tt.file)
			}
			var m map[string]any
			if err := json.Unmarshal(base, &m); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.set {
				m[k] = v
			}
			for _, k := range tt.del {
				delete(m, k)
			}
			raw, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			_, err = stix.Parse(raw)
			var ve *stix.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			if ve.Property != tt.wantProp || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q (property %q), want property %q containing %q", err, ve.Property, tt.wantProp, tt.wantText)
			}
		})
	}
}

func TestParseNotObject(t *testing.T) {
	for _, in := range []string{``, `[]`, `"x"`, `{`, `{"type":"url"`, `null`, `{"type":"url","id":"url--` + uuidA + `","value":"x"} x`} {
		_, err := stix.Parse([]byte(in))
		var ve *stix.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("Parse(%q) = %v, want a *ValidationError", in, err)
		}
	}
}
