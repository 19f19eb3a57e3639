package stix_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/stix/stixschema"
)

func readValid(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/valid/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/valid: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	return out
}

// produced is every object this package writes itself.
func produced() map[string][]byte {
	return map[string][]byte{
		"access-extension-definition":      stix.AccessExtensionDefinition(),
		"wallet-extension-definition":      stix.CryptocurrencyWalletDefinition(),
		"transaction-extension-definition": stix.CryptocurrencyTransactionDefinition(),
		"entente-identity":                 stix.EntenteIdentity(),
		"new-wallet":                       stix.NewCryptocurrencyWallet("bitcoin", "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6"),
		"new-wallet-no-chain":              stix.NewCryptocurrencyWallet("", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
		"new-transaction":                  stix.NewCryptocurrencyTransaction("bitcoin", strings.Repeat("ab", 32)),
	}
}

// TestValidAgainstSchemas parses every valid object and checks it, as
// stored (Raw), against the OASIS JSON schemas.
func TestValidAgainstSchemas(t *testing.T) {
	v, err := stixschema.New("testdata/stix2-json-schemas/schemas")
	if err != nil {
		t.Fatal(err)
	}
	all := readValid(t)
	for name, b := range produced() {
		all[name] = b
	}
	for name, b := range all {
		t.Run(name, func(t *testing.T) {
			o, err := stix.Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := v.Validate(o.Raw); err != nil {
				t.Errorf("schema: %v", err)
			}
		})
	}
}

// TestSchemaRejects shows the schema check can fail.
func TestSchemaRejects(t *testing.T) {
	v, err := stixschema.New("testdata/stix2-json-schemas/schemas")
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{
		`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
		`{"type":"x-custom","id":"x-custom--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","Bad":1}`,
	} {
		if err := v.Validate([]byte(raw)); err == nil {
			t.Errorf("schema accepted %s", raw)
		}
	}
}

func TestParseFields(t *testing.T) {
	valid := readValid(t)
	ts := func(s string) time.Time {
		tm, err := stix.ParseTimestamp(s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		file      string
		wantTLP   stix.TLP
		wantOrgs  []string
		wantUsers []string
		created   time.Time
		modified  time.Time
	}{
		{file: "indicator", wantTLP: stix.TLPAmber, wantOrgs: []string{"cert-lu"}, wantUsers: []string{"alice"},
			created: ts("2026-03-01T10:00:00.000Z"), modified: ts("2026-03-02T10:00:00.000Z")},
		{file: "report", wantTLP: stix.TLPAmberStrict, created: ts("2026-03-01T10:00:00.000Z"), modified: ts("2026-03-02T10:00:00.000Z")},
		{file: "ipv4-addr"},
		{file: "marking-definition-statement", created: ts("2026-03-01T10:00:00.000Z")},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			o, err := stix.Parse(valid[tt.file])
			if err != nil {
				t.Fatal(err)
			}
			if o.TLP != tt.wantTLP || !slices.Equal(o.RecipientOrgs, tt.wantOrgs) || !slices.Equal(o.RecipientUsers, tt.wantUsers) {
				t.Errorf("TLP %d orgs %q users %q, want %d %q %q", o.TLP, o.RecipientOrgs, o.RecipientUsers, tt.wantTLP, tt.wantOrgs, tt.wantUsers)
			}
			if !o.Created.Equal(tt.created) || !o.Modified.Equal(tt.modified) {
				t.Errorf("created %v modified %v, want %v %v", o.Created, o.Modified, tt.created, tt.modified)
			}
			if o.SpecVersion != "2.1" || o.Versioned() != !tt.modified.IsZero() {
				t.Errorf("spec_version %q versioned %v", o.SpecVersion, o.Versioned())
			}
			if !json.Valid(o.Raw) || strings.ContainsAny(string(o.Raw), "\n") {
				t.Errorf("Raw not compact JSON: %s", o.Raw)
			}
		})
	}
}

func TestParseTLP(t *testing.T) {
	base := `{"type":"ipv4-addr","id":"ipv4-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"10.0.0.1"`
	tests := []struct {
		markings string
		want     stix.TLP
	}{
		{``, stix.TLPUnmarked},
		{`,"object_marking_refs":["` + stix.MarkingTLP1White + `"]`, stix.TLPClear},
		{`,"object_marking_refs":["` + stix.MarkingTLPClear + `","` + stix.MarkingTLP1Green + `"]`, stix.TLPGreen},
		{`,"object_marking_refs":["` + stix.MarkingTLPRed + `","` + stix.MarkingTLPAmber + `"]`, stix.TLPRed},
		{`,"object_marking_refs":["` + stix.MarkingTLP1Red + `"]`, stix.TLPRed},
		{`,"object_marking_refs":["marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]`, stix.TLPUnmarked},
		{`,"object_marking_refs":["` + stix.MarkingTLPGreen + `"],"granular_markings":[{"selectors":["value"],"marking_ref":"` + stix.MarkingTLPAmberStrict + `"}]`, stix.TLPAmberStrict},
		{`,"granular_markings":[{"selectors":["value"],"lang":"en"}]`, stix.TLPUnmarked},
	}
	for _, tt := range tests {
		o, err := stix.Parse([]byte(base + tt.markings + "}"))
		if err != nil {
			t.Errorf("%s: %v", tt.markings, err)
			continue
		}
		if o.TLP != tt.want {
			t.Errorf("%s: TLP %d, want %d", tt.markings, o.TLP, tt.want)
		}
	}
}

func TestNewCryptocurrencyWallet(t *testing.T) {
	// The id, computed independently with Python's uuid.uuid5 over the
	// STIX SCO namespace and {"value":"bc1q..."}.
	const want = "cryptocurrency-wallet--e4aefff8-f7e9-5846-b684-5329b23bdf45"
	a := stix.NewCryptocurrencyWallet("bitcoin", "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6")
	b := stix.NewCryptocurrencyWallet("", "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6")
	for _, raw := range [][]byte{a, b} {
		o, err := stix.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if o.ID != want || o.Type != stix.TypeCryptocurrencyWallet {
			t.Errorf("id %s, want %s", o.ID, want)
		}
	}
}

// TestOFACAddresses parses every address of the OFAC SDN list as a wallet
// on its chain: real addresses must pass, the one Tron address in the
// bitcoin list must not.
func TestOFACAddresses(t *testing.T) {
	tests := []struct {
		file, chain string
		wantBad     []string
	}{
		{"sanctioned_addresses_XBT.txt", "bitcoin", []string{"TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"}},
		{"sanctioned_addresses_ETH.txt", "ethereum", nil},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata/ofac", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		var bad []string
		n := 0
		for _, addr := range strings.Fields(string(b)) {
			n++
			if _, err := stix.Parse(stix.NewCryptocurrencyWallet(tt.chain, addr)); err != nil {
				bad = append(bad, addr)
			}
		}
		if n < 100 || !slices.Equal(bad, tt.wantBad) {
			t.Errorf("%s: %d addresses, rejected %q, want %q", tt.file, n, bad, tt.wantBad)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "2016-05-12T08:17:27Z", want: time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC)},
		{in: "2016-05-12T08:17:27.000Z", want: time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC)},
		{in: "2016-05-12T08:17:27.123456789Z", want: time.Date(2016, 5, 12, 8, 17, 27, 123456789, time.UTC)},
		{in: "2016-05-12T08:17:27.1234567891Z", wantErr: true},
		{in: "2016-05-12T08:17:27+00:00", wantErr: true},
		{in: "2016-05-12t08:17:27Z", wantErr: true},
		{in: "2016-05-12T08:17:27.Z", wantErr: true},
		{in: "2016-02-30T08:17:27Z", wantErr: true},
		{in: "2016-12-31T23:59:60Z", wantErr: true},
		{in: "2016-05-12 08:17:27Z", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := stix.ParseTimestamp(tt.in)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	tm := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("x", 3600))
	if got := stix.FormatTimestamp(tm); got != "2026-01-02T02:04:05.000006Z" {
		t.Errorf("FormatTimestamp = %s", got)
	}
	if got, err := stix.ParseTimestamp(stix.FormatTimestamp(tm)); err != nil || !got.Equal(tm) {
		t.Errorf("round trip: %v %v", got, err)
	}
}

// TestParseAmbiguous rejects objects that readers could see differently.
func TestParseAmbiguous(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr bool
	}{
		{raw: `{"type":"url","id":"url--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"a:b","x_note":{"k":"v:w","k2":1}}`},
		{raw: `{"type":"url","id":"url--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"a","value":"b"}`, wantErr: true},
		{raw: `{"type":"url","type":"url","id":"url--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"a"}`, wantErr: true},
		{raw: "{\"type\":\"url\",\"id\":\"url--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\",\"value\":\"\xff\"}", wantErr: true},
	}
	for _, tt := range tests {
		if _, err := stix.Parse([]byte(tt.raw)); (err != nil) != tt.wantErr {
			t.Errorf("Parse(%s) = %v, want error %v", tt.raw, err, tt.wantErr)
		}
	}
}

func TestValidationErrorText(t *testing.T) {
	_, err := stix.Parse([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`))
	var ve *stix.ValidationError
	if !errors.As(err, &ve) || err.Error() != `indicator: property "pattern": required` {
		t.Errorf("got %v", err)
	}
}
