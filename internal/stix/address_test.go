package stix_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/entente/entente/internal/stix"
)

func TestWalletAddress(t *testing.T) {
	tests := []struct {
		chain, value string
		wantErr      bool
	}{
		{chain: "bitcoin", value: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{chain: "Bitcoin", value: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", wantErr: true}, // checksum
		{chain: "bitcoin", value: "1BfQ8YnbDWvDCYB5fGNJcrPCjJjeyFgWQ0", wantErr: true}, // not base58
		{chain: "bitcoin", value: "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},                // P2SH
		{chain: "bitcoin", value: "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz", wantErr: true},
		{chain: "bitcoin", value: "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", wantErr: true}, // testnet
		{chain: "bitcoin", value: "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"},        // BIP 173
		{chain: "bitcoin", value: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{chain: "bitcoin", value: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", wantErr: true},
		{chain: "bitcoin", value: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kV8f3t4", wantErr: true},      // mixed case
		{chain: "bitcoin", value: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"}, // BIP 350 taproot
		{chain: "bitcoin", value: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1", wantErr: true},
		{chain: "ethereum", value: "0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1"},
		{chain: "ethereum", value: "01e2919679362dFBC9ee1644Ba9C6da6D6245BB1", wantErr: true},
		{chain: "ethereum", value: "0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB", wantErr: true},
		{chain: "monero", value: "4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge"},
		{chain: "", value: "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq"},
		{chain: "", value: "a b", wantErr: true},
		{chain: "", value: strings.Repeat("a", 129), wantErr: true},
	}
	for _, tt := range tests {
		_, err := stix.Parse(stix.NewCryptocurrencyWallet(tt.chain, tt.value))
		var ve *stix.ValidationError
		if (err != nil) != tt.wantErr || err != nil && (!errors.As(err, &ve) || ve.Property != "value") {
			t.Errorf("%s %s: err = %v, want error %v", tt.chain, tt.value, err, tt.wantErr)
		}
	}
}

func TestTransactionID(t *testing.T) {
	txid := "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
	tests := []struct {
		chain, value string
		wantErr      bool
	}{
		{chain: "bitcoin", value: txid},
		{chain: "bitcoin", value: strings.ToUpper(txid)},
		{chain: "bitcoin", value: "0x" + txid, wantErr: true},
		{chain: "ethereum", value: "0x" + txid},
		{chain: "", value: txid[:63], wantErr: true},
		{chain: "", value: txid[:63] + "g", wantErr: true},
	}
	for _, tt := range tests {
		o, err := stix.Parse(stix.NewCryptocurrencyTransaction(tt.chain, tt.value))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s %s: err = %v, want error %v", tt.chain, tt.value, err, tt.wantErr)
		}
		if err == nil && o.Type != stix.TypeCryptocurrencyTransaction {
			t.Errorf("type %s", o.Type)
		}
	}
}
