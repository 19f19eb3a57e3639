package stix

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// checkVersionedCommon checks the common properties of SDOs, SROs,
// extension definitions and language content (section 3.2), which carry
// created and modified.
func (o *object) checkVersionedCommon() (created, modified time.Time, err error) {
	if err := o.specVersion(true); err != nil {
		return created, modified, err
	}
	if created, err = o.timestamp("created", true); err != nil {
		return created, modified, err
	}
	if modified, err = o.timestamp("modified", true); err != nil {
		return created, modified, err
	}
	if modified.Before(created) {
		return created, modified, o.errf("modified", "before created")
	}
	if err := o.checkRefs(refRule{prop: "created_by_ref", to: []string{"identity"}}); err != nil {
		return created, modified, err
	}
	if _, _, err := o.boolean("revoked"); err != nil {
		return created, modified, err
	}
	if err := o.isStrList("labels"); err != nil {
		return created, modified, err
	}
	if _, _, err := o.integer("confidence", 0, 100); err != nil {
		return created, modified, err
	}
	if err := o.lang("lang"); err != nil {
		return created, modified, err
	}
	if err := o.externalReferences(); err != nil {
		return created, modified, err
	}
	return created, modified, o.markingsAndExtensions()
}

// checkSCOCommon checks the common properties of cyber-observable objects
// (section 3.2 and 6.1): no created or modified, spec_version optional.
func (o *object) checkSCOCommon() error {
	if err := o.specVersion(false); err != nil {
		return err
	}
	if _, _, err := o.boolean("defanged"); err != nil {
		return err
	}
	return o.markingsAndExtensions()
}

// checkMarkingCommon checks a marking definition's common properties
// (section 7.2.1): created but never modified, since markings do not change.
func (o *object) checkMarkingCommon() (time.Time, error) {
	if err := o.specVersion(true); err != nil {
		return time.Time{}, err
	}
	created, err := o.timestamp("created", true)
	if err != nil {
		return created, err
	}
	if err := o.checkRefs(refRule{prop: "created_by_ref", to: []string{"identity"}}); err != nil {
		return created, err
	}
	if err := o.isStr("name", false); err != nil {
		return created, err
	}
	if err := o.externalReferences(); err != nil {
		return created, err
	}
	return created, o.markingsAndExtensions()
}

func (o *object) specVersion(required bool) error {
	if v, _ := o.props.get("spec_version"); string(v) == `"2.1"` {
		return nil
	}
	v, err := o.str("spec_version", required)
	if err == nil && o.has("spec_version") && v != "2.1" {
		err = o.errf("spec_version", "%.16q: want \"2.1\"", v)
	}
	return err
}

// lang checks an RFC 5646 language tag loosely: its alphabet and length.
func (o *object) lang(p string) error {
	s, err := o.str(p, false)
	if err != nil || !o.has(p) {
		return err
	}
	if !validLang(s) {
		return o.errf(p, "%.40q is not an RFC 5646 language tag", s)
	}
	return nil
}

func validLang(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}

func (o *object) markingsAndExtensions() error {
	if err := o.checkRefs(refRule{prop: "object_marking_refs", list: true, to: []string{"marking-definition"}}); err != nil {
		return err
	}
	if err := o.granularMarkings(); err != nil {
		return err
	}
	_, err := o.extensions()
	return err
}

type externalReference struct {
	SourceName  *string           `json:"source_name"`
	Description *string           `json:"description"`
	URL         *string           `json:"url"`
	ExternalID  *string           `json:"external_id"`
	Hashes      map[string]string `json:"hashes"`
}

// externalReferences checks section 2.5's shape: source_name and at least
// one of description, url and external_id.
func (o *object) externalReferences() error {
	if !o.has("external_references") {
		return nil // before refs escapes to the decoder: the common case
	}
	var refs []externalReference
	if _, err := o.decode("external_references", &refs, "a list of external references"); err != nil {
		return err
	}
	for i, r := range refs {
		p := fmt.Sprintf("external_references[%d]", i)
		if r.SourceName == nil {
			return o.errf(p, "source_name required")
		}
		if r.Description == nil && r.URL == nil && r.ExternalID == nil {
			return o.errf(p, "needs description, url or external_id")
		}
		if err := checkHashes(r.Hashes); err != nil {
			return o.errf(p+".hashes", "%v", err)
		}
	}
	return nil
}

type granularMarking struct {
	Lang       *string  `json:"lang"`
	MarkingRef *string  `json:"marking_ref"`
	Selectors  []string `json:"selectors"`
}

// granularMarkings checks section 7.2.3: selectors, and exactly one of
// marking_ref and lang.
func (o *object) granularMarkings() error {
	gms, err := o.granular()
	if err != nil {
		return err
	}
	for i, g := range gms {
		p := fmt.Sprintf("granular_markings[%d]", i)
		if len(g.Selectors) == 0 {
			return o.errf(p, "selectors required")
		}
		switch {
		case (g.Lang == nil) == (g.MarkingRef == nil):
			return o.errf(p, "needs exactly one of marking_ref and lang")
		case g.Lang != nil && !validLang(*g.Lang):
			return o.errf(p+".lang", "%.40q is not an RFC 5646 language tag", *g.Lang)
		case g.MarkingRef != nil:
			if t, ok := splitID(*g.MarkingRef); !ok || t != "marking-definition" {
				return o.errf(p+".marking_ref", "%.80q: want a reference to marking-definition", *g.MarkingRef)
			}
		}
	}
	return nil
}

func (o *object) granular() ([]granularMarking, error) {
	if !o.has("granular_markings") {
		return nil, nil
	}
	var gms []granularMarking
	_, err := o.decode("granular_markings", &gms, "a list of granular markings")
	return gms, err
}

// extensionTypes are the values of extension_type (section 7.3).
var extensionTypes = []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}

// extensions checks the extensions dictionary (section 7.3): keys are
// extension-definition identifiers, whose bodies name an extension_type,
// or the predefined names ending in -ext. It returns the decoded bodies.
func (o *object) extensions() (map[string]map[string]json.RawMessage, error) {
	if !o.extsDone {
		o.exts, o.extsErr = o.decodeExtensions()
		o.extsDone = true
	}
	return o.exts, o.extsErr
}

func (o *object) decodeExtensions() (map[string]map[string]json.RawMessage, error) {
	if !o.has("extensions") {
		return nil, nil
	}
	var exts map[string]map[string]json.RawMessage
	ok, err := o.decode("extensions", &exts, "a dictionary of extension objects")
	if !ok || err != nil {
		return nil, err
	}
	if len(exts) == 0 {
		return nil, o.errf("extensions", "must not be empty")
	}
	for k, body := range exts {
		if len(body) == 0 {
			return nil, o.errf("extensions", "%.80q: must not be empty", k)
		}
		if t, ok := splitID(k); ok && t == "extension-definition" {
			var et string
			if err := json.Unmarshal(body["extension_type"], &et); err != nil {
				return nil, o.errf("extensions", "%.80q: extension_type required", k)
			}
			if !slices.Contains(extensionTypes, et) {
				return nil, o.errf("extensions", "%.80q: extension_type %.40q is not one of %q", k, et, extensionTypes)
			}
			continue
		}
		if len(k) < 5 || k[len(k)-4:] != "-ext" || !validType(k) {
			return nil, o.errf("extensions", "key %.80q: want an extension-definition id or a predefined -ext name", k)
		}
		if err := o.predefinedExtension(k, body); err != nil {
			return nil, err
		}
	}
	return exts, nil
}

// predefinedExtension is one of the SCO extensions STIX 2.1 defines
// (section 6), with what it must contain.
type predefinedExtension struct {
	on       string   // the SCO type it extends
	required []string // properties it must have
	anyOf    []string // of which it must have at least one
}

// predefinedExtensions is read-only. Other -ext names are STIX 2.0 style
// custom extensions, deprecated but accepted.
var predefinedExtensions = map[string]predefinedExtension{
	"archive-ext":          {on: "file", required: []string{"contains_refs"}},
	"ntfs-ext":             {on: "file", anyOf: []string{"sid", "alternate_data_streams"}},
	"pdf-ext":              {on: "file", anyOf: []string{"version", "is_optimized", "document_info_dict", "pdfid0", "pdfid1"}},
	"raster-image-ext":     {on: "file", anyOf: []string{"image_height", "image_width", "bits_per_pixel", "exif_tags"}},
	"windows-pebinary-ext": {on: "file", required: []string{"pe_type"}},
	"http-request-ext":     {on: "network-traffic", required: []string{"request_method", "request_value"}},
	"icmp-ext":             {on: "network-traffic", required: []string{"icmp_type_hex", "icmp_code_hex"}},
	"socket-ext":           {on: "network-traffic", required: []string{"address_family"}},
	"tcp-ext":              {on: "network-traffic", anyOf: []string{"src_flags_hex", "dst_flags_hex"}},
	"windows-process-ext":  {on: "process"},
	"windows-service-ext":  {on: "process"},
	"unix-account-ext":     {on: "user-account"},
}

func (o *object) predefinedExtension(name string, body map[string]json.RawMessage) error {
	spec, ok := predefinedExtensions[name]
	if !ok {
		return nil
	}
	if spec.on != o.typ {
		return o.errf("extensions", "%s extends %s objects only", name, spec.on)
	}
	for _, p := range spec.required {
		if _, ok := body[p]; !ok {
			return o.errf("extensions", "%s: %s required", name, p)
		}
	}
	for _, p := range spec.anyOf {
		if _, ok := body[p]; ok {
			return nil
		}
	}
	if len(spec.anyOf) > 0 {
		return o.errf("extensions", "%s: needs at least one of %q", name, spec.anyOf)
	}
	return nil
}

// checkHashes checks a hashes dictionary (section 2.7): string values, and
// the right length of hex for the algorithms the spec names.
func checkHashes(h map[string]string) error {
	for alg, v := range h {
		if len(alg) > 250 || alg == "" {
			return fmt.Errorf("hash algorithm %.40q: want 1-250 characters", alg)
		}
		n := hexHashLen(alg)
		if n == 0 {
			if v == "" {
				return fmt.Errorf("%.40s: empty", alg)
			}
			continue
		}
		if len(v) != n || !allHex(v) {
			return fmt.Errorf("%s: want %d hex digits", alg, n)
		}
	}
	return nil
}

// hexHashLen is the number of hex digits of the hash algorithms STIX
// names (section 10.2 hashing-algorithm-ov), or 0 for others.
func hexHashLen(alg string) int {
	switch alg {
	case "MD5":
		return 32
	case "SHA-1":
		return 40
	case "SHA-256", "SHA3-256":
		return 64
	case "SHA-512", "SHA3-512":
		return 128
	}
	return 0
}

func (o *object) hashes(p string, required bool) error {
	var h map[string]string
	ok, err := o.decode(p, &h, "a dictionary of hash values")
	switch {
	case err != nil:
		return err
	case !ok && required:
		return o.errf(p, "required")
	case ok && len(h) == 0:
		return o.errf(p, "must not be empty")
	}
	if err := checkHashes(h); err != nil {
		return o.errf(p, "%v", err)
	}
	return nil
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// tlp returns the most restrictive TLP among the object's markings.
func (o *object) tlp() (TLP, error) {
	max := TLPUnmarked
	if raw, _ := o.props.get("object_marking_refs"); isPlainStringList(raw) {
		for rest := []byte(raw); len(rest) > 1; {
			var ref []byte
			ref, rest = nextPlain(rest)
			max = maxTLP(max, tlpOf(ref))
		}
	} else {
		refs, err := o.strList("object_marking_refs")
		if err != nil {
			return TLPUnmarked, err
		}
		for _, r := range refs {
			max = maxTLP(max, tlpOf(r))
		}
	}
	gms, err := o.granular()
	if err != nil {
		return TLPUnmarked, err
	}
	for _, g := range gms {
		if g.MarkingRef != nil {
			max = maxTLP(max, tlpOf(*g.MarkingRef))
		}
	}
	return max, nil
}

func maxTLP(a, b TLP) TLP {
	if b > a {
		return b
	}
	return a
}

// tlpOf maps a marking definition id to its TLP 2.0 level, treating the
// TLP 1.0 definitions as their TLP 2.0 counterparts.
func tlpOf[S string | []byte](ref S) TLP {
	switch string(ref) {
	case MarkingTLPClear, MarkingTLP1White:
		return TLPClear
	case MarkingTLPGreen, MarkingTLP1Green:
		return TLPGreen
	case MarkingTLPAmber, MarkingTLP1Amber:
		return TLPAmber
	case MarkingTLPAmberStrict:
		return TLPAmberStrict
	case MarkingTLPRed, MarkingTLP1Red:
		return TLPRed
	}
	return TLPUnmarked
}

type killChainPhase struct {
	KillChainName *string `json:"kill_chain_name"`
	PhaseName     *string `json:"phase_name"`
}

// killChainPhases checks section 2.8's shape.
func (o *object) killChainPhases() error {
	if !o.has("kill_chain_phases") {
		return nil
	}
	var ks []killChainPhase
	if _, err := o.decode("kill_chain_phases", &ks, "a list of kill chain phases"); err != nil {
		return err
	}
	for i, k := range ks {
		if k.KillChainName == nil || k.PhaseName == nil {
			return o.errf(fmt.Sprintf("kill_chain_phases[%d]", i), "kill_chain_name and phase_name required")
		}
	}
	return nil
}
