package stix

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
)

// kind groups types by the common properties they carry (section 3.2).
type kind uint8

const (
	// kindVersioned: SDOs, SROs, extension definitions and language
	// content, which have created and modified.
	kindVersioned kind = iota
	// kindSCO: cyber-observable objects, which have neither.
	kindSCO
	// kindMarking: marking definitions, which have created only.
	kindMarking
)

// typeSpec is what Parse checks beyond the common properties of a kind.
type typeSpec struct {
	kind     kind
	required []string
	refs     []refRule
	check    func(*object) error
}

// Types that relationships, sightings and language content must not point
// to (the OASIS schemas' rules for source_ref, target_ref, sighting_of_ref).
var (
	notRelated  = []string{"relationship", "sighting", "bundle", "marking-definition", "language-content"}
	addrTypes   = []string{"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"}
	sdoTypes    = []string{"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability"}
	software    = []string{"software"}
	userAccount = []string{"user-account"}
	emailAddr   = []string{"email-addr"}
)

func named(extra func(*object) error) typeSpec {
	return typeSpec{required: []string{"name"}, check: extra}
}

// specs is the read-only table of the types STIX 2.1 defines (sections 4-7),
// plus the cryptocurrency SCOs. It is never written after initialization.
var specs = map[string]typeSpec{
	"attack-pattern":   named(killChain),
	"campaign":         named(seen),
	"course-of-action": named(nil),
	"grouping":         {required: []string{"context", "object_refs"}},
	"identity":         named(nil),
	"incident":         named(killChain),
	"indicator":        {required: []string{"pattern", "pattern_type", "valid_from"}, check: checkIndicator},
	"infrastructure":   named(func(o *object) error { return firstErr(killChain(o), seen(o)) }),
	"intrusion-set":    named(seen),
	"location":         {check: checkLocation},
	"malware": {required: []string{"is_family"}, check: checkMalware, refs: []refRule{
		{prop: "operating_system_refs", list: true, to: software},
		{prop: "sample_refs", list: true, to: []string{"file", "artifact"}},
	}},
	"malware-analysis": {required: []string{"product"}, check: checkMalwareAnalysis, refs: []refRule{
		{prop: "host_vm_ref", to: software},
		{prop: "operating_system_ref", to: software},
		{prop: "installed_software_refs", list: true, to: software},
		{prop: "sample_ref", to: []string{"file", "network-traffic", "artifact"}},
		{prop: "analysis_sco_refs", list: true, not: append(slices.Clone(sdoTypes), notRelated...)},
	}},
	"note":          {required: []string{"content", "object_refs"}},
	"observed-data": {required: []string{"first_observed", "last_observed", "number_observed"}, check: checkObservedData},
	"opinion": {required: []string{"opinion", "object_refs"}, check: func(o *object) error {
		return o.oneOf("opinion", "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")
	}},
	"report": {required: []string{"name", "published", "object_refs"}, check: func(o *object) error {
		_, err := o.timestamp("published", true)
		return err
	}},
	"threat-actor":  named(seen),
	"tool":          named(killChain),
	"vulnerability": named(nil),

	"relationship": {required: []string{"relationship_type", "source_ref", "target_ref"}, check: checkRelationship, refs: []refRule{
		{prop: "source_ref", not: notRelated},
		{prop: "target_ref", not: notRelated},
	}},
	"sighting": {required: []string{"sighting_of_ref"}, check: checkSighting, refs: []refRule{
		{prop: "sighting_of_ref", not: notRelated},
		{prop: "observed_data_refs", list: true, to: []string{"observed-data"}},
		{prop: "where_sighted_refs", list: true, to: []string{"identity", "location"}},
	}},

	"extension-definition": {required: []string{"created_by_ref", "name", "schema", "version", "extension_types"}, check: checkExtensionDefinition},
	"language-content": {required: []string{"object_ref", "contents"}, check: checkLanguageContent, refs: []refRule{
		{prop: "object_ref", not: []string{"bundle", "language-content"}},
	}},
	"marking-definition": {kind: kindMarking, check: checkMarking},

	"artifact":          {kind: kindSCO, check: checkArtifact},
	"autonomous-system": {kind: kindSCO, required: []string{"number"}, check: checkAutonomousSystem},
	"directory": {kind: kindSCO, required: []string{"path"}, check: fileTimes, refs: []refRule{
		{prop: "contains_refs", list: true, to: []string{"file", "directory"}},
	}},
	"domain-name": {kind: kindSCO, required: []string{"value"}, refs: []refRule{
		{prop: "resolves_to_refs", list: true, to: []string{"ipv4-addr", "ipv6-addr", "domain-name"}},
	}},
	"email-addr": {kind: kindSCO, required: []string{"value"}, refs: []refRule{
		{prop: "belongs_to_ref", to: userAccount},
	}},
	"email-message": {kind: kindSCO, required: []string{"is_multipart"}, check: checkEmailMessage, refs: []refRule{
		{prop: "from_ref", to: emailAddr},
		{prop: "sender_ref", to: emailAddr},
		{prop: "to_refs", list: true, to: emailAddr},
		{prop: "cc_refs", list: true, to: emailAddr},
		{prop: "bcc_refs", list: true, to: emailAddr},
		{prop: "raw_email_ref", to: []string{"artifact"}},
	}},
	"file": {kind: kindSCO, check: checkFile, refs: []refRule{
		{prop: "parent_directory_ref", to: []string{"directory"}},
		{prop: "content_ref", to: []string{"artifact"}},
	}},
	"ipv4-addr": {kind: kindSCO, required: []string{"value"}, check: ipCheck(true), refs: ipRefs},
	"ipv6-addr": {kind: kindSCO, required: []string{"value"}, check: ipCheck(false), refs: ipRefs},
	"mac-addr":  {kind: kindSCO, required: []string{"value"}, check: checkMAC},
	"mutex":     {kind: kindSCO, required: []string{"name"}},
	"network-traffic": {kind: kindSCO, required: []string{"protocols"}, check: checkNetworkTraffic, refs: []refRule{
		{prop: "src_ref", to: addrTypes},
		{prop: "dst_ref", to: addrTypes},
		{prop: "src_payload_ref", to: []string{"artifact"}},
		{prop: "dst_payload_ref", to: []string{"artifact"}},
		{prop: "encapsulates_refs", list: true, to: []string{"network-traffic"}},
		{prop: "encapsulated_by_ref", to: []string{"network-traffic"}},
	}},
	"process": {kind: kindSCO, check: scoHasProperty, refs: []refRule{
		{prop: "opened_connection_refs", list: true, to: []string{"network-traffic"}},
		{prop: "creator_user_ref", to: userAccount},
		{prop: "image_ref", to: []string{"file"}},
		{prop: "parent_ref", to: []string{"process"}},
		{prop: "child_refs", list: true, to: []string{"process"}},
	}},
	"software":     {kind: kindSCO, required: []string{"name"}},
	"url":          {kind: kindSCO, required: []string{"value"}},
	"user-account": {kind: kindSCO, check: scoHasProperty},
	"windows-registry-key": {kind: kindSCO, check: scoHasProperty, refs: []refRule{
		{prop: "creator_user_ref", to: userAccount},
	}},
	"x509-certificate": {kind: kindSCO, check: func(o *object) error {
		return firstErr(scoHasProperty(o), o.hashes("hashes", false))
	}},

	TypeCryptocurrencyWallet:      {kind: kindSCO, required: []string{"value"}, check: checkWallet},
	TypeCryptocurrencyTransaction: {kind: kindSCO, required: []string{"value"}, check: checkTransaction},
}

var ipRefs = []refRule{
	{prop: "resolves_to_refs", list: true, to: []string{"mac-addr"}},
	{prop: "belongs_to_refs", list: true, to: []string{"autonomous-system"}},
}

// spec finds the rules for the object's type. A type STIX does not define
// is a custom object (section 7.3) only when an extensions entry declares
// it with extension_type new-sdo, new-sro or new-sco.
func (o *object) spec() (typeSpec, error) {
	if s, ok := specs[o.typ]; ok {
		return s, nil
	}
	exts, err := o.extensions()
	if err != nil {
		return typeSpec{}, err
	}
	for k, body := range exts {
		if t, _ := splitID(k); t != "extension-definition" {
			continue
		}
		var et string
		_ = json.Unmarshal(body["extension_type"], &et) // checked by extensions
		switch et {
		case "new-sco":
			return typeSpec{kind: kindSCO}, nil
		case "new-sdo", "new-sro":
			return typeSpec{kind: kindVersioned}, nil
		}
	}
	return typeSpec{}, o.errf("type", "unknown type: a custom object needs an extensions entry keyed by its extension-definition id with extension_type new-sdo, new-sro or new-sco")
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func killChain(o *object) error { return o.killChainPhases() }

func seen(o *object) error { return o.timeOrder("first_seen", "last_seen", false) }

func checkIndicator(o *object) error {
	for _, p := range []string{"pattern", "pattern_type", "pattern_version"} {
		if err := o.isStr(p, false); err != nil {
			return err
		}
	}
	if err := o.isStrList("indicator_types"); err != nil {
		return err
	}
	return firstErr(o.timeOrder("valid_from", "valid_until", true), o.killChainPhases())
}

func checkLocation(o *object) error {
	_, hasLat, err := o.number("latitude", -90, 90)
	if err != nil {
		return err
	}
	_, hasLong, err := o.number("longitude", -180, 180)
	if err != nil {
		return err
	}
	if hasLat != hasLong {
		return o.errf("longitude", "latitude and longitude must be given together")
	}
	if _, hasPrec, err := o.number("precision", 0, 1e12); err != nil {
		return err
	} else if hasPrec && !hasLat {
		return o.errf("precision", "only with latitude and longitude")
	}
	return o.atLeastOne("region", "country", "latitude")
}

func checkMalware(o *object) error {
	family, _, err := o.boolean("is_family")
	if err != nil {
		return err
	}
	if family && !o.has("name") {
		return o.errf("name", "required when is_family is true")
	}
	return firstErr(seen(o), o.killChainPhases())
}

func checkMalwareAnalysis(o *object) error {
	if err := o.atLeastOne("result", "analysis_sco_refs"); err != nil {
		return err
	}
	return o.timeOrder("analysis_started", "analysis_ended", false)
}

func checkObservedData(o *object) error {
	if err := o.timeOrder("first_observed", "last_observed", false); err != nil {
		return err
	}
	if _, _, err := o.integer("number_observed", 1, 999999999); err != nil {
		return err
	}
	if o.has("objects") == o.has("object_refs") {
		return o.errf("object_refs", "needs exactly one of objects (deprecated) and object_refs")
	}
	var objs map[string]map[string]json.RawMessage
	if _, err := o.decode("objects", &objs, "a dictionary of cyber-observable objects"); err != nil {
		return err
	}
	return o.checkRefs(refRule{prop: "object_refs", list: true, not: append(slices.Clone(sdoTypes), "bundle", "marking-definition", "language-content")})
}

func checkRelationship(o *object) error {
	rt, err := o.str("relationship_type", true)
	if err != nil {
		return err
	}
	for i := 0; i < len(rt); i++ {
		if c := rt[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return o.errf("relationship_type", "%.64q: want a-z, 0-9 and hyphens", rt)
		}
	}
	return o.timeOrder("start_time", "stop_time", true)
}

func checkSighting(o *object) error {
	if _, _, err := o.integer("count", 0, 999999999); err != nil {
		return err
	}
	if _, _, err := o.boolean("summary"); err != nil {
		return err
	}
	return o.timeOrder("first_seen", "last_seen", false)
}

func checkExtensionDefinition(o *object) error {
	for _, p := range []string{"name", "schema", "version"} {
		if err := o.isStr(p, true); err != nil {
			return err
		}
	}
	types, err := o.strList("extension_types")
	if err != nil {
		return err
	}
	for _, t := range types {
		if !slices.Contains(extensionTypes, t) {
			return o.errf("extension_types", "%.40q is not one of %q", t, extensionTypes)
		}
	}
	if err := o.isStrList("extension_properties"); err != nil {
		return err
	}
	if o.has("extension_properties") && !slices.Contains(types, "toplevel-property-extension") {
		return o.errf("extension_properties", "only for toplevel-property-extension")
	}
	return nil
}

func checkLanguageContent(o *object) error {
	if _, err := o.timestamp("object_modified", false); err != nil {
		return err
	}
	var contents map[string]map[string]json.RawMessage
	if _, err := o.decode("contents", &contents, "a dictionary from language tags to dictionaries"); err != nil {
		return err
	}
	if len(contents) == 0 {
		return o.errf("contents", "must not be empty")
	}
	for lang, c := range contents {
		if !validLang(lang) {
			return o.errf("contents", "key %.40q is not an RFC 5646 language tag", lang)
		}
		if len(c) == 0 {
			return o.errf("contents", "%q: must not be empty", lang)
		}
	}
	return nil
}

// checkMarking checks a marking definition (section 7.2.1): either the
// deprecated definition_type/definition pair, or an extension such as TLP
// 2.0's.
func checkMarking(o *object) error {
	dt, err := o.str("definition_type", false)
	if err != nil {
		return err
	}
	if !o.has("definition_type") {
		if o.has("definition") || !o.has("extensions") {
			return o.errf("definition_type", "required unless the marking is defined by an extension")
		}
		return nil
	}
	var def map[string]json.RawMessage
	ok, err := o.decode("definition", &def, "an object")
	switch {
	case err != nil:
		return err
	case !ok:
		return o.errf("definition", "required with definition_type")
	}
	var v string
	switch dt {
	case "tlp":
		if json.Unmarshal(def["tlp"], &v) != nil || !slices.Contains([]string{"white", "green", "amber", "red"}, v) {
			return o.errf("definition", "tlp: want white, green, amber or red")
		}
	case "statement":
		if json.Unmarshal(def["statement"], &v) != nil {
			return o.errf("definition", "statement: want a string")
		}
	}
	return nil
}

func checkArtifact(o *object) error {
	if o.has("payload_bin") == o.has("url") {
		return o.errf("payload_bin", "needs exactly one of payload_bin and url")
	}
	if b64, err := o.str("payload_bin", false); err != nil {
		return err
	} else if _, err := base64.StdEncoding.DecodeString(b64); err != nil {
		return o.errf("payload_bin", "not base64")
	}
	if err := o.hashes("hashes", o.has("url")); err != nil {
		return err
	}
	if err := o.oneOf("encryption_algorithm", "AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"); err != nil {
		return err
	}
	if o.has("decryption_key") && !o.has("encryption_algorithm") {
		return o.errf("decryption_key", "only with encryption_algorithm")
	}
	return nil
}

func checkAutonomousSystem(o *object) error {
	_, _, err := o.integer("number", 0, 1<<32-1)
	return err
}

func fileTimes(o *object) error {
	for _, p := range []string{"ctime", "mtime", "atime"} {
		if _, err := o.timestamp(p, false); err != nil {
			return err
		}
	}
	return nil
}

func checkFile(o *object) error {
	if err := o.atLeastOne("hashes", "name"); err != nil {
		return err
	}
	if _, _, err := o.integer("size", 0, 1<<62); err != nil {
		return err
	}
	return firstErr(o.hashes("hashes", false), fileTimes(o))
}

// ipCheck checks an address or CIDR block of the right family.
func ipCheck(v4 bool) func(*object) error {
	return func(o *object) error {
		s, err := o.str("value", true)
		if err != nil {
			return err
		}
		addr, err := netip.ParseAddr(s)
		if err != nil {
			p, perr := netip.ParsePrefix(s)
			if perr != nil {
				return o.errf("value", "%.64q is not an IP address or CIDR block", s)
			}
			addr = p.Addr()
		}
		if addr.Is4() != v4 {
			return o.errf("value", "%.64q is of the other IP version", s)
		}
		return nil
	}
}

// checkMAC wants a lowercase, colon-delimited MAC-48 address (section 6.8).
func checkMAC(o *object) error {
	s, err := o.str("value", true)
	if err != nil {
		return err
	}
	ok := len(s) == 17
	for i := 0; ok && i < len(s); i++ {
		if i%3 == 2 {
			ok = s[i] == ':'
		} else {
			ok = '0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f'
		}
	}
	if !ok {
		return o.errf("value", "%.40q: want a lowercase MAC-48 address like 00:00:5e:00:53:af", s)
	}
	return nil
}

type mimePart struct {
	Body       *string `json:"body"`
	BodyRawRef *string `json:"body_raw_ref"`
}

func checkEmailMessage(o *object) error {
	multipart, _, err := o.boolean("is_multipart")
	if err != nil {
		return err
	}
	if multipart && o.has("body") {
		return o.errf("body", "not with is_multipart true: use body_multipart")
	}
	if !multipart && o.has("body_multipart") {
		return o.errf("body_multipart", "only with is_multipart true")
	}
	if _, err := o.timestamp("date", false); err != nil {
		return err
	}
	var parts []mimePart
	if _, err := o.decode("body_multipart", &parts, "a list of MIME parts"); err != nil {
		return err
	}
	for i, part := range parts {
		p := fmt.Sprintf("body_multipart[%d]", i)
		if (part.Body == nil) == (part.BodyRawRef == nil) {
			return o.errf(p, "needs exactly one of body and body_raw_ref")
		}
		if part.BodyRawRef != nil {
			if t, ok := splitID(*part.BodyRawRef); !ok || t != "artifact" && t != "file" {
				return o.errf(p+".body_raw_ref", "%.80q: want a reference to artifact or file", *part.BodyRawRef)
			}
		}
	}
	return nil
}

func checkNetworkTraffic(o *object) error {
	if err := o.isStrList("protocols"); err != nil {
		return err
	}
	if err := o.atLeastOne("src_ref", "dst_ref"); err != nil {
		return err
	}
	for _, p := range []string{"src_port", "dst_port"} {
		if _, _, err := o.integer(p, 0, 65535); err != nil {
			return err
		}
	}
	active, _, err := o.boolean("is_active")
	if err != nil {
		return err
	}
	if active && o.has("end") {
		return o.errf("end", "not with is_active true")
	}
	return o.timeOrder("start", "end", false)
}

// scoCommon are the properties every SCO may have; user-account, process,
// windows-registry-key and x509-certificate need one more (section 6).
var scoCommon = []string{"type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged"}

func scoHasProperty(o *object) error {
	for _, p := range o.props.list {
		if !slices.Contains(scoCommon, p.name) {
			return nil
		}
	}
	return o.errf("", "needs at least one property besides the common ones")
}
