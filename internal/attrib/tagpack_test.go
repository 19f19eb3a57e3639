package attrib

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func openTestdata(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseTagPackReal(t *testing.T) {
	tests := []struct {
		file     string
		currency string
		wantN    int
		want     Tag // the first tag
	}{
		{"tagpack/blender_io.yaml", "", 10, Tag{Address: "3NDzzVxiLBUs1WPvVGRfCYDTAD2Ua2PvW4", Currency: "BTC", Label: "Blender.io",
			Category: Mixer, Original: "mixing_service", Actor: "blenderio", Confidence: 60,
			Source:  "https://home.treasury.gov/policy-issues/financial-sanctions/recent-actions/20220506",
			Created: time.Date(2022, 5, 16, 0, 0, 0, 0, time.UTC)}},
		{"tagpack/ransomware.yaml", "BTC", 7, Tag{Address: "1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78", Currency: "BTC", Label: "7ev3n",
			Category: Ransomware, Confidence: 50, Source: "https://zenodo.org/record/1238041#.XLQwopMzZR4",
			Created: time.Date(2021, 11, 14, 0, 0, 0, 0, time.UTC)}},
		{"tagpack/walletexplorer.yaml", "", 4, Tag{Address: "1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG", Currency: "BTC", Label: "Huobi.com",
			Category: Exchange, Actor: "huobi", Confidence: 50, Source: "https://www.walletexplorer.com/address/1vdXJDiDSzeUAoM7eAcWZPhM9wEKmH8dG",
			Created: time.Date(2021, 11, 11, 0, 0, 0, 0, time.UTC)}},
		// Per-tag currency overrides; only the BTC tag is kept by default.
		{"tagpack/demo.yaml", "", 1, Tag{Address: "1Archive1n2C579dMsAu3iC6tWzuQJz8dN", Currency: "BTC", Label: "Internet Archive",
			Category: Organization, Actor: "internet_archive", Confidence: 50, Source: "https://archive.org/donate/cryptocurrency",
			Created: time.Date(2021, 11, 12, 0, 0, 0, 0, time.UTC)}},
		{"tagpack/demo.yaml", "*", 5, Tag{Address: "1Archive1n2C579dMsAu3iC6tWzuQJz8dN", Currency: "BTC", Label: "Internet Archive",
			Category: Organization, Actor: "internet_archive", Confidence: 50, Source: "https://archive.org/donate/cryptocurrency",
			Created: time.Date(2021, 11, 12, 0, 0, 0, 0, time.UTC)}},
		{"tagpack/demo.yaml", "eth", 1, Tag{Address: "0xFA8E3920daF271daB92Be9B87d9998DDd94FEF08", Currency: "ETH", Label: "Internet Archive",
			Category: Organization, Actor: "internet_archive", Confidence: 50, Source: "https://archive.org/donate/cryptocurrency",
			Created: time.Date(2021, 11, 12, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.currency, func(t *testing.T) {
			tags, err := ParseTagPack(openTestdata(t, tt.file), Limits{Currency: tt.currency})
			if err != nil {
				t.Fatal(err)
			}
			if len(tags) != tt.wantN {
				t.Fatalf("got %d tags, want %d", len(tags), tt.wantN)
			}
			if tags[0] != tt.want {
				t.Errorf("first tag\n got %+v\nwant %+v", tags[0], tt.want)
			}
			for _, tag := range tags {
				if err := tag.Validate(); err != nil {
					t.Errorf("%s: %v", tag.Address, err)
				}
			}
		})
	}
}

func TestParseTagPackBad(t *testing.T) {
	const head = "title: t\ncurrency: BTC\ncategory: exchange\n"
	tests := []struct {
		name    string
		in      string
		lim     Limits
		wantErr error
		wantMsg string
	}{
		{"empty", "", Limits{}, ErrSyntax, "empty TagPack"},
		{"bad yaml", "title: [unclosed\n", Limits{}, ErrSyntax, "yaml: line"},
		{"not a mapping", "- a\n- b\n", Limits{}, ErrSyntax, "line 1: "},
		{"no tags", "title: t\n", Limits{}, ErrSyntax, "no tags"},
		{"tags not a list", "title: t\ntags: 3\n", Limits{}, ErrSyntax, "line 2: "},
		{"tag not a mapping", head + "tags:\n- 1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78\n", Limits{}, ErrSyntax, "line 5: "},
		{"missing address", head + "tags:\n- label: x\n", Limits{}, ErrInvalid, "line 5: attrib: invalid tag: tag has no address"},
		{"missing currency", "title: t\ntags:\n- address: 1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78\n", Limits{}, ErrInvalid, "line 3: "},
		{"address with space", head + "tags:\n- address: 1Lud 76Q\n", Limits{}, ErrInvalid, "malformed address"},
		{"address a list", head + "tags:\n- address: [a, b]\n", Limits{}, ErrSyntax, "line 5: attrib: syntax error: address is not a single value"},
		{"unknown confidence", head + "confidence: gut_feeling\ntags:\n- address: 1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78\n", Limits{}, ErrInvalid, "unknown confidence"},
		{"confidence out of range", head + "confidence: 101\ntags:\n- address: 1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78\n", Limits{}, ErrInvalid, "unknown confidence"},
		{"bad lastmod", head + "lastmod: yesterday\ntags:\n- address: 1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78\n", Limits{}, ErrInvalid, "not a date"},
		{"label too long", head + "tags:\n- address: 1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78\n  label: " + strings.Repeat("x", MaxLabelLen+1) + "\n", Limits{}, ErrInvalid, "label of 513 bytes"},
		{"oversized", head + "tags: []\n" + strings.Repeat("#", 100), Limits{MaxBytes: 64}, ErrTooLarge, "more than 64 bytes"},
		{"too many tags", head + "tags:\n- address: a1\n- address: a2\n- address: a3\n", Limits{MaxTags: 2}, ErrTooLarge, "3 tags, more than 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tags, err := ParseTagPack(strings.NewReader(tt.in), tt.lim)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v (%d tags), want %v", err, len(tags), tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestCategoriesOfTagPack(t *testing.T) {
	tests := []struct {
		category, abuse string
		want            Category
		wantOriginal    string
	}{
		{"exchange", "", Exchange, ""},
		{"coinjoin", "", Mixer, "coinjoin"},
		{"market", "", DarknetMarket, "market"},
		{"defi_lending", "", DeFi, "defi_lending"},
		{"user", "sanction", Sanctioned, "sanction"},
		{"exchange", "service_hack", Hack, "service_hack"},
		{"", "ransomware", Ransomware, ""},
		{"", "phishing", Scam, "phishing"},
		{"black_list", "", Other, "black_list"},
		{"", "", Other, ""},
		{"", "weird_abuse", Other, "weird_abuse"},
		{"exchange", "weird_abuse", Exchange, ""},
	}
	for _, tt := range tests {
		t.Run(tt.category+"/"+tt.abuse, func(t *testing.T) {
			in := "currency: BTC\n"
			if tt.category != "" {
				in += "category: " + tt.category + "\n"
			}
			if tt.abuse != "" {
				in += "abuse: " + tt.abuse + "\n"
			}
			tags, err := ParseTagPack(strings.NewReader(in+"tags:\n- address: a1\n"), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if tags[0].Category != tt.want || tags[0].Original != tt.wantOriginal {
				t.Errorf("got %s (%q), want %s (%q)", tags[0].Category, tags[0].Original, tt.want, tt.wantOriginal)
			}
		})
	}
}

func TestParseCategory(t *testing.T) {
	for _, c := range Categories() {
		if got, ok := ParseCategory(string(c)); !ok || got != c {
			t.Errorf("ParseCategory(%q) = %q, %v", c, got, ok)
		}
	}
	for in, want := range map[string]Category{"Darknet market": DarknetMarket, "mixing-service": Mixer, " Ransomware ": Ransomware} {
		if got, ok := ParseCategory(in); !ok || got != want {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if got, ok := ParseCategory("bakery"); ok || got != Other {
		t.Errorf("ParseCategory(bakery) = %q, %v", got, ok)
	}
}

func TestConfidence(t *testing.T) {
	tests := []struct {
		in     string
		want   int
		wantOK bool
	}{
		{"ownership", 100, true}, {"authority_data", 60, true}, {"Forensic", 50, true},
		{"web_crawl", 20, true}, {"ledger_immanent", 100, true}, {"42", 42, true},
		{"0", 0, true}, {"101", 0, false}, {"-1", 0, false}, {"4x", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := Confidence(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Confidence(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestParseTagPackSkipped: entries of other currencies are counted, and
// their addresses, whatever their form, do not fail the pack.
func TestParseTagPackSkipped(t *testing.T) {
	in := "category: exchange\ntags:\n- {address: 'VJLA (AMP ID: x)', currency: L-BTC}\n" +
		"- {address: 1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78, currency: btc}\n- {address: '0xab', network: eth}\n"
	skipped := map[string]int{}
	tags, err := ParseTagPack(strings.NewReader(in), Limits{Skipped: func(c string) { skipped[c]++ }})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 1 || tags[0].Currency != "BTC" || skipped["L-BTC"] != 1 || skipped["ETH"] != 1 || len(skipped) != 2 {
		t.Errorf("tags %+v, skipped %v", tags, skipped)
	}
	if _, err := ParseTagPack(strings.NewReader(in), Limits{Currency: "*"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("all currencies: %v, want the malformed address refused", err)
	}
}
