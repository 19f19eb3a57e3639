// Package demo seeds an empty Entente node with a small but realistic
// community, so that a new operator can explore a working node at once:
// member organizations (national cybercrime units and a CERT), an exchange
// served by one of them, users in every role, collections under different
// TLP rules, and intelligence made from real public data embedded in the
// binary:
//
//   - the MISP galaxy of ransomware families (CC0 / BSD-2), as STIX malware
//     objects with is_family true;
//   - the Bitcoin addresses on the US Treasury OFAC SDN list (public
//     domain), as cryptocurrency-wallet objects, indicators that match them,
//     and based-on relationships between the two.
//
// data/SOURCE.txt says where the data comes from, at which commit.
//
// It is not a fixture for tests of other packages, and it never runs on a
// node that already has organizations: seeding is for first start only.
// Every object goes through stix.Parse and store.AddObjects, exactly like a
// TAXII POST, so the demo holds nothing a client could not have sent.
package demo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

//go:embed data/ransomware.json
var ransomwareJSON []byte

//go:embed data/sanctioned_addresses_XBT.txt
var sanctionedXBT []byte

// Bounds on the embedded data, so that a bad update of it fails loudly
// rather than seeding a node with surprises.
const (
	maxFamilies    = 10000
	maxRefs        = 8
	maxAliases     = 32
	batchSize      = 1000
	caseIndicators = 12
)

// Result says what Seed did.
type Result struct {
	Seeded      bool   // false when the node already had organizations
	Admin       string // the seeded admin user
	Token       string // a fresh token of Admin, to show once
	Orgs        int
	Users       int
	Collections int
	Objects     int // object versions stored
	// Skipped counts data entries stix.Parse refused; they are left out.
	Skipped int
	// CollectionIDs maps each seeded collection's title to its id.
	CollectionIDs map[string]string
}

// The seeded community. Short names follow the operator naming rule of
// package auth; the full names go into identity objects.
var orgs = []struct {
	name, fullName, sector string
	kind                   auth.OrgKind
	clientOf               []string
}{
	{"nl-nhtcu", "Team High Tech Crime, Dutch National Police", "government-national", auth.KindMember, nil},
	{"de-bka", "Bundeskriminalamt, Cybercrime Division", "government-national", auth.KindMember, nil},
	{"fr-ofac", "Office anti-cybercriminalité", "government-national", auth.KindMember, nil},
	{"be-fccu", "Federal Computer Crime Unit, Belgian Federal Police", "government-national", auth.KindMember, nil},
	{"cert-eu", "CERT-EU", "government-regional", auth.KindMember, nil},
	{"harbour-exchange", "Harbour Exchange B.V. (fictitious)", "financial-services", auth.KindClient, []string{"nl-nhtcu"}},
}

var users = []auth.User{
	{Name: "nl-admin", Org: "nl-nhtcu", Role: auth.RoleAdmin},
	{Name: "nl-analyst", Org: "nl-nhtcu", Role: auth.RoleAnalyst},
	{Name: "de-analyst", Org: "de-bka", Role: auth.RoleAnalyst},
	{Name: "fr-analyst", Org: "fr-ofac", Role: auth.RoleAnalyst},
	{Name: "be-reader", Org: "be-fccu", Role: auth.RoleReader},
	{Name: "cert-eu-analyst", Org: "cert-eu", Role: auth.RoleAnalyst},
	{Name: "harbour-compliance", Org: "harbour-exchange", Role: auth.RoleReader},
}

// Admin is the demo node's administrator, whose token serve --demo prints.
const Admin = "nl-admin"

// Collection titles.
const (
	RansomwareFamilies = "Ransomware families"
	SanctionedWallets  = "Sanctioned wallets"
	CaseCollection     = "Case 2026-117: ransomware payments (restricted)"
)

// namespace derives stable object ids from names, so that the same seed
// data always yields the same STIX ids.
var namespace = uuid.MustParse("6f1b6f0e-5b8a-4d0c-9a3e-2b1f6f0c8e11")

func stixID(typ, name string) string {
	return typ + "--" + uuid.NewSHA1(namespace, []byte(typ+"/"+name)).String()
}

func identityID(org string) string { return stixID("identity", org) }

// Seed fills st when it has no organizations and does nothing otherwise.
// now stamps every record; rnd supplies collection, status and token ids
// and the admin token (nil: crypto/rand).
func Seed(ctx context.Context, st store.Store, now time.Time, rnd io.Reader) (Result, error) {
	existing, err := st.Orgs(ctx)
	if err != nil {
		return Result{}, err
	}
	if len(existing) > 0 {
		return Result{}, nil
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	now = now.UTC().Truncate(time.Millisecond)
	s := &seeder{st: st, now: now, rnd: rnd, res: Result{Seeded: true, Admin: Admin, CollectionIDs: map[string]string{}}}
	for _, step := range []func(context.Context) error{s.accounts, s.families, s.wallets, s.caseFile} {
		if err := step(ctx); err != nil {
			return Result{}, err
		}
	}
	return s.res, nil
}

type seeder struct {
	st  store.Store
	now time.Time
	rnd io.Reader
	res Result
}

func (s *seeder) accounts(ctx context.Context) error {
	for _, o := range orgs {
		if err := s.st.CreateOrg(ctx, auth.Org{Name: o.name, Kind: o.kind, ClientOf: o.clientOf, Created: s.now}); err != nil {
			return fmt.Errorf("organization %s: %w", o.name, err)
		}
		s.res.Orgs++
	}
	for _, u := range users {
		u.Created = s.now
		if err := s.st.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("user %s: %w", u.Name, err)
		}
		s.res.Users++
	}
	secret, tok, err := auth.NewToken(s.rnd, Admin, s.now, 0)
	if err != nil {
		return err
	}
	if err := s.st.CreateToken(ctx, tok); err != nil {
		return err
	}
	s.res.Token = secret
	return nil
}

// collection creates a collection and returns its id.
func (s *seeder) collection(ctx context.Context, c store.Collection) (string, error) {
	id, err := uuid.NewRandomFromReader(s.rnd)
	if err != nil {
		return "", err
	}
	c.ID, c.Created = id.String(), s.now
	if err := s.st.CreateCollection(ctx, c); err != nil {
		return "", fmt.Errorf("collection %q: %w", c.Title, err)
	}
	s.res.Collections++
	s.res.CollectionIDs[c.Title] = c.ID
	return c.ID, nil
}

// post stores raw objects in a collection as producer, in batches, each
// with its own status like a TAXII POST. An object stix.Parse refuses is
// counted in Skipped when skipBad, an error otherwise (the demo's own
// objects must be valid).
func (s *seeder) post(ctx context.Context, collection, org, user string, raws [][]byte, skipBad bool) error {
	var ws []store.Write
	for _, raw := range raws {
		obj, err := stix.Parse(raw)
		if err != nil {
			if skipBad {
				s.res.Skipped++
				continue
			}
			return fmt.Errorf("demo object invalid: %w", err)
		}
		ws = append(ws, store.Write{Object: obj, ProducerOrg: org, ProducerUser: user})
	}
	for len(ws) > 0 {
		batch := ws[:min(batchSize, len(ws))]
		ws = ws[len(batch):]
		id, err := uuid.NewRandomFromReader(s.rnd)
		if err != nil {
			return err
		}
		status := store.Status{ID: id.String(), Collection: collection, User: user, RequestTimestamp: s.now, Total: len(batch)}
		if err := s.st.CreateStatus(ctx, status); err != nil {
			return err
		}
		if _, err := s.st.AddObjects(ctx, collection, status.ID, batch, nil); err != nil {
			return err
		}
		s.res.Objects += len(batch)
	}
	return nil
}

// sdo is the common part of every SDO and SRO the demo writes.
func (s *seeder) sdo(typ, id, producer, marking string) map[string]any {
	ts := stix.FormatTimestamp(s.now)
	m := map[string]any{
		"type": typ, "spec_version": "2.1", "id": id,
		"created": ts, "modified": ts,
		"object_marking_refs": []string{marking},
	}
	if producer != "" {
		m["created_by_ref"] = identityID(producer)
	}
	return m
}

func (s *seeder) identities(only ...string) [][]byte {
	var out [][]byte
	for _, o := range orgs {
		if len(only) > 0 && !slices.Contains(only, o.name) {
			continue
		}
		m := s.sdo("identity", identityID(o.name), "", stix.MarkingTLPClear)
		m["name"] = o.fullName
		m["identity_class"] = "organization"
		m["sectors"] = []string{o.sector}
		m["description"] = "Entente organization " + o.name + " (" + string(o.kind) + ")."
		out = append(out, mustJSON(m))
	}
	return out
}

func (s *seeder) families(ctx context.Context) error {
	id, err := s.collection(ctx, store.Collection{
		Title:       RansomwareFamilies,
		Description: "Ransomware families from the MISP galaxy (CC0), shared with every organization.",
		ReadOrgs:    []string{store.AllOrgs},
		WriteOrgs:   []string{"nl-nhtcu", "de-bka", "fr-ofac", "be-fccu", "cert-eu"},
		DefaultTLP:  stix.TLPClear,
	})
	if err != nil {
		return err
	}
	fams, err := parseGalaxy(ransomwareJSON)
	if err != nil {
		return err
	}
	raws := s.identities()
	for i, f := range fams {
		// Mostly CLEAR as published; a share GREEN, as a community would
		// mark its own annotations, so that TLP filtering shows.
		marking := stix.MarkingTLPClear
		if i%5 == 4 {
			marking = stix.MarkingTLPGreen
		}
		m := s.sdo("malware", stixID("malware", f.UUID), "cert-eu", marking)
		m["name"] = f.Value
		m["is_family"] = true
		m["malware_types"] = []string{"ransomware"}
		if f.Description != "" {
			m["description"] = f.Description
		}
		if len(f.Meta.Synonyms) > 0 {
			m["aliases"] = f.Meta.Synonyms
		}
		refs := []map[string]string{{"source_name": "misp-galaxy:ransomware", "external_id": f.UUID}}
		for _, r := range f.Meta.Refs {
			refs = append(refs, map[string]string{"source_name": "reference", "url": r})
		}
		m["external_references"] = refs
		raws = append(raws, mustJSON(m))
	}
	return s.post(ctx, id, "cert-eu", "cert-eu-analyst", raws, true)
}

// galaxyCluster is the part of a MISP galaxy cluster the demo uses.
type galaxyCluster struct {
	UUID        string `json:"uuid"`
	Value       string `json:"value"`
	Description string `json:"description"`
	Meta        struct {
		Synonyms []string `json:"synonyms"`
		Refs     []string `json:"refs"`
	} `json:"meta"`
}

// parseGalaxy reads MISP galaxy clusters, keeping what makes valid STIX:
// distinct non-empty aliases and absolute http(s) references, bounded.
func parseGalaxy(data []byte) ([]galaxyCluster, error) {
	var g struct {
		Values []galaxyCluster `json:"values"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("embedded MISP galaxy: %w", err)
	}
	if len(g.Values) == 0 || len(g.Values) > maxFamilies {
		return nil, fmt.Errorf("embedded MISP galaxy: %d clusters, want 1 to %d", len(g.Values), maxFamilies)
	}
	out := g.Values[:0]
	for _, c := range g.Values {
		c.Value = strings.TrimSpace(c.Value)
		if c.Value == "" || uuid.Validate(c.UUID) != nil {
			continue
		}
		var aliases []string
		for _, a := range c.Meta.Synonyms {
			a = strings.TrimSpace(a)
			if a != "" && a != c.Value && !slices.Contains(aliases, a) && len(aliases) < maxAliases {
				aliases = append(aliases, a)
			}
		}
		var refs []string
		for _, r := range c.Meta.Refs {
			u, err := url.Parse(strings.TrimSpace(r))
			if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(refs) < maxRefs {
				refs = append(refs, u.String())
			}
		}
		c.Meta.Synonyms, c.Meta.Refs = aliases, refs
		out = append(out, c)
	}
	return out, nil
}

// bitcoinAddresses reads one address a line and keeps those that look like
// Bitcoin mainnet addresses (the published list has one that does not).
func bitcoinAddresses(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		a := strings.TrimSpace(sc.Text())
		if looksBitcoin(a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func looksBitcoin(a string) bool {
	if len(a) < 26 || len(a) > 90 {
		return false
	}
	if !(a[0] == '1' || a[0] == '3' || strings.HasPrefix(a, "bc1")) {
		return false
	}
	for _, c := range a {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// walletObjects are, for one address, the wallet SCO, an indicator that
// matches it and the based-on relationship between them; none when the
// address fails its checksum (counted in Skipped).
func (s *seeder) walletObjects(addr, producer, marking, name string) [][]byte {
	wallet := stix.NewCryptocurrencyWallet("bitcoin", addr)
	w, err := stix.Parse(wallet)
	if err != nil {
		s.res.Skipped++
		return nil
	}
	ind := s.sdo("indicator", stixID("indicator", producer+"/"+addr), producer, marking)
	ind["name"] = name
	ind["indicator_types"] = []string{"malicious-activity", "attribution"}
	ind["pattern"] = "[cryptocurrency-wallet:value = '" + addr + "']"
	ind["pattern_type"] = "stix"
	ind["valid_from"] = stix.FormatTimestamp(s.now)
	ind["external_references"] = []map[string]string{{
		"source_name": "OFAC SDN list",
		"url":         "https://sanctionssearch.ofac.treas.gov/",
		"description": "Digital Currency Address - XBT, list of 2024-09-27",
	}}
	rel := s.sdo("relationship", stixID("relationship", producer+"/"+addr), producer, marking)
	rel["relationship_type"] = "based-on"
	rel["source_ref"] = ind["id"]
	rel["target_ref"] = w.ID
	return [][]byte{wallet, mustJSON(ind), mustJSON(rel)}
}

func (s *seeder) wallets(ctx context.Context) error {
	id, err := s.collection(ctx, store.Collection{
		Title:       SanctionedWallets,
		Description: "Bitcoin addresses on the US Treasury OFAC SDN list, with indicators matching them.",
		ReadOrgs:    []string{store.AllOrgs},
		WriteOrgs:   []string{"nl-nhtcu", "de-bka"},
		DefaultTLP:  stix.TLPGreen,
	})
	if err != nil {
		return err
	}
	// The extension definition first, so that a consumer can learn what a
	// cryptocurrency-wallet is from the collection itself.
	raws := append(s.identities("nl-nhtcu"), stix.CryptocurrencyWalletDefinition())
	n := len(raws)
	for _, a := range bitcoinAddresses(sanctionedXBT) {
		raws = append(raws, s.walletObjects(a, "nl-nhtcu", stix.MarkingTLPClear, "OFAC-sanctioned Bitcoin address "+a)...)
	}
	if len(raws) == n {
		return errors.New("embedded OFAC list holds no Bitcoin address")
	}
	return s.post(ctx, id, "nl-nhtcu", "nl-analyst", raws, false)
}

// caseFile is a restricted investigation: AMBER+STRICT, shared by the
// German unit with the Dutch one only.
func (s *seeder) caseFile(ctx context.Context) error {
	id, err := s.collection(ctx, store.Collection{
		Title:       CaseCollection,
		Description: "Joint investigation de-bka / nl-nhtcu. TLP:AMBER+STRICT: do not share outside the two units.",
		ReadOrgs:    []string{"de-bka", "nl-nhtcu"},
		WriteOrgs:   []string{"de-bka", "nl-nhtcu"},
		Recipients:  []string{"nl-nhtcu"},
		DefaultTLP:  stix.TLPAmberStrict,
	})
	if err != nil {
		return err
	}
	raws := s.identities("de-bka", "nl-nhtcu")
	addrs := bitcoinAddresses(sanctionedXBT)
	var refs []string
	for _, a := range addrs[:min(caseIndicators, len(addrs))] {
		objs := s.walletObjects(a, "de-bka", stix.MarkingTLPAmberStrict, "Payment address seen in case 2026-117")
		if objs == nil {
			continue
		}
		raws = append(raws, objs...)
		for _, o := range objs[1:] {
			var head struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(o, &head); err != nil {
				return err
			}
			refs = append(refs, head.ID)
		}
	}
	report := s.sdo("report", stixID("report", "case-2026-117"), "de-bka", stix.MarkingTLPAmberStrict)
	report["name"] = "Case 2026-117: ransomware payments to sanctioned addresses"
	report["description"] = "Working notes of a joint investigation: payment addresses observed in victim negotiations."
	report["report_types"] = []string{"threat-report"}
	report["published"] = stix.FormatTimestamp(s.now)
	report["object_refs"] = refs
	raws = append(raws, mustJSON(report))
	return s.post(ctx, id, "de-bka", "de-analyst", raws, false)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings and slices: cannot fail
	}
	return b
}
