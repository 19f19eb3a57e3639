package stix

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/google/uuid"
)

// The cryptocurrency SCOs, named as OpenCTI names them. They are custom
// objects (section 7.3); Parse accepts them with or without the extensions
// entry that declares them, since OpenCTI exports them without.
//
//	{"type":"cryptocurrency-wallet","spec_version":"2.1",
//	 "id":"cryptocurrency-wallet--<UUIDv5>","value":"bc1q...","chain":"bitcoin"}
//
// value is the address (wallet) or the transaction id (transaction) and is
// required; chain is optional and names the blockchain in lowercase
// ("bitcoin", "ethereum", ...). When chain is bitcoin, addresses are checked
// with their checksums (Base58Check, or bech32/bech32m for bc1 addresses);
// when it is ethereum, for 0x and 40 hex digits (EIP-55 case checksums are
// not checked). Other chains get a conservative alphabet and length check.
const (
	TypeCryptocurrencyWallet      = "cryptocurrency-wallet"
	TypeCryptocurrencyTransaction = "cryptocurrency-transaction"

	ExtensionCryptocurrencyWallet      = "extension-definition--5cb2dc93-10fe-4430-aca3-1a0921eefd5d"
	ExtensionCryptocurrencyTransaction = "extension-definition--7ff6a2f2-3685-4136-869a-f97727dc2607"
)

// scoNamespace is the UUIDv5 namespace of STIX 2.1 SCO identifiers
// (section 2.9).
var scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// maxCryptoValue bounds address and txid strings; the longest real forms
// (bech32m, cashaddr with prefix) are under 100 characters.
const maxCryptoValue = 128

// CryptocurrencyWalletDefinition returns the extension-definition object of
// ExtensionCryptocurrencyWallet.
func CryptocurrencyWalletDefinition() []byte {
	return cryptoDefinition(ExtensionCryptocurrencyWallet, "Cryptocurrency wallet",
		"A cryptocurrency-wallet SCO: value (required) is the address; chain (optional) names the blockchain in lowercase, e.g. bitcoin. The id is a UUIDv5 over {\"value\":...} in the STIX SCO namespace.")
}

// CryptocurrencyTransactionDefinition returns the extension-definition
// object of ExtensionCryptocurrencyTransaction.
func CryptocurrencyTransactionDefinition() []byte {
	return cryptoDefinition(ExtensionCryptocurrencyTransaction, "Cryptocurrency transaction",
		"A cryptocurrency-transaction SCO: value (required) is the transaction id, 64 hex digits (0x-prefixed on ethereum); chain (optional) names the blockchain in lowercase. The id is a UUIDv5 over {\"value\":...} in the STIX SCO namespace.")
}

func cryptoDefinition(id, name, schema string) []byte {
	return []byte(`{"type":"extension-definition","spec_version":"2.1","id":"` + id + `",` +
		`"created_by_ref":"` + IdentityEntente + `","created":"2026-11-22T00:00:00.000Z","modified":"2026-11-22T00:00:00.000Z",` +
		`"name":"` + name + `","schema":` + jsonString(schema) + `,"version":"1.0.0","extension_types":["new-sco"]}`)
}

// NewCryptocurrencyWallet returns a cryptocurrency-wallet SCO for address
// on chain (which may be empty), with the deterministic id STIX gives SCOs:
// UUIDv5 in the SCO namespace over the canonical JSON {"value":address}.
// It does not validate: Parse does.
func NewCryptocurrencyWallet(chain, address string) []byte {
	return newCryptoSCO(TypeCryptocurrencyWallet, ExtensionCryptocurrencyWallet, chain, address)
}

// NewCryptocurrencyTransaction is NewCryptocurrencyWallet for a
// transaction id.
func NewCryptocurrencyTransaction(chain, txid string) []byte {
	return newCryptoSCO(TypeCryptocurrencyTransaction, ExtensionCryptocurrencyTransaction, chain, txid)
}

func newCryptoSCO(typ, ext, chain, value string) []byte {
	v := jsonString(value)
	id := typ + "--" + uuid.NewSHA1(scoNamespace, []byte(`{"value":`+v+`}`)).String()
	s := `{"type":"` + typ + `","spec_version":"2.1","id":"` + id + `","value":` + v
	if chain != "" {
		s += `,"chain":` + jsonString(chain)
	}
	return []byte(s + `,"extensions":{"` + ext + `":{"extension_type":"new-sco"}}}`)
}

// jsonString encodes s as JCS (RFC 8785) does for the ASCII values used
// here: without the HTML escaping encoding/json applies by default.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func checkWallet(o *object) error {
	return o.checkCrypto(ExtensionCryptocurrencyWallet, validAddress)
}

func checkTransaction(o *object) error {
	return o.checkCrypto(ExtensionCryptocurrencyTransaction, validTxid)
}

func (o *object) checkCrypto(ext string, valid func(chain, v string) error) error {
	exts, err := o.extensions()
	if err != nil {
		return err
	}
	if body, ok := exts[ext]; ok {
		var et string
		_ = json.Unmarshal(body["extension_type"], &et)
		if et != "new-sco" {
			return o.errf("extensions", "%s: extension_type must be new-sco", ext)
		}
	}
	chain, err := o.str("chain", false)
	if err != nil {
		return err
	}
	v, err := o.str("value", true)
	if err != nil {
		return err
	}
	if err := valid(chain, v); err != nil {
		return o.errf("value", "%.140q: %v", v, err)
	}
	return nil
}
