package attrib

import (
	"errors"
	"strings"
	"testing"

	"github.com/entente/entente/internal/chain"
)

func TestParseOFACReal(t *testing.T) {
	mainnet, _ := chain.ParseNetwork("mainnet")
	tags, err := ParseOFAC(openTestdata(t, "ofac/sanctioned_addresses_XBT.txt"), "XBT")
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 435 {
		t.Fatalf("got %d tags, want 435", len(tags))
	}
	want := Tag{Address: "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", Currency: "BTC", Label: "sanctioned by OFAC",
		Category: Sanctioned, Source: OFACSource, Confidence: 100}
	if tags[0] != want {
		t.Errorf("first tag\n got %+v\nwant %+v", tags[0], want)
	}
	var bad []string
	for _, tag := range tags {
		if CheckAddress(mainnet, tag.Address) != nil {
			bad = append(bad, tag.Address)
		}
	}
	// The list as published holds one entry that is no Bitcoin address.
	if len(bad) != 1 || bad[0] != "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq" {
		t.Errorf("addresses not of mainnet: %v", bad)
	}

	ltc, err := ParseOFAC(openTestdata(t, "ofac/sanctioned_addresses_LTC.txt"), "ltc")
	if err != nil || len(ltc) != 10 || ltc[0].Currency != "LTC" {
		t.Errorf("LTC list: %d tags, %v", len(ltc), err)
	}
}

func TestParseOFACBad(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		currency string
		wantErr  error
		wantMsg  string
	}{
		{"space in line", "1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78\n1Lud 76Q\n", "XBT", ErrInvalid, "line 2: "},
		{"too long", strings.Repeat("1", MaxAddressLen+1), "XBT", ErrInvalid, "line 1: "},
		{"no currency", "1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78\n", "", ErrInvalid, "currency"},
		{"oversized", strings.Repeat("1abc\n", MaxOFACBytes/5+1), "XBT", ErrTooLarge, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOFAC(strings.NewReader(tt.in), tt.currency)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
	tags, err := ParseOFAC(strings.NewReader("# comment\n\n  1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78  \r\n"), "XBT")
	if err != nil || len(tags) != 1 || tags[0].Address != "1Lud76Q98VRHCUiyK7XUs7AgFofrqXeP78" {
		t.Errorf("comments and blanks: %v, %v", tags, err)
	}
}

func TestCheckAddress(t *testing.T) {
	mainnet, _ := chain.ParseNetwork("mainnet")
	testnet, _ := chain.ParseNetwork("testnet")
	tests := []struct {
		net  chain.Network
		addr string
		ok   bool
	}{
		{mainnet, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", true},
		{mainnet, "3NDzzVxiLBUs1WPvVGRfCYDTAD2Ua2PvW4", true},
		{mainnet, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", true},
		{mainnet, "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", true},
		{mainnet, "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", false}, // not canonical
		{mainnet, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", false},         // checksum
		{mainnet, "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", false},         // testnet
		{testnet, "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", true},
		{mainnet, "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", false},
		{mainnet, "", false},
	}
	for _, tt := range tests {
		if err := CheckAddress(tt.net, tt.addr); (err == nil) != tt.ok {
			t.Errorf("CheckAddress(%s, %q) = %v, want ok %v", tt.net.Name, tt.addr, err, tt.ok)
		}
	}
}

func TestSummarize(t *testing.T) {
	tags := []Tag{
		{Address: "a", Category: Exchange, Actor: "huobi", Confidence: 50},
		{Address: "a", Category: Exchange, Actor: "huobi", Confidence: 60, Label: "other label"},
		{Address: "b", Category: Exchange, Actor: "huobi", Confidence: 20},
		{Address: "c", Category: Sanctioned, Confidence: 100},
	}
	got := Summarize(tags)
	want := []Group{
		{Category: Exchange, Actor: "huobi", Tags: 3, Addresses: 2, MaxConfidence: 60},
		{Category: Sanctioned, Tags: 1, Addresses: 1, MaxConfidence: 100},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("group %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
