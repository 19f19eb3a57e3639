package attrib

import "strings"

// Category is a word of the closed vocabulary [Categories].
type Category string

// The vocabulary. Kinds of entity first, then kinds of abuse.
const (
	Exchange      Category = "exchange"
	Mixer         Category = "mixer" // mixing services and CoinJoin coordinators
	DarknetMarket Category = "darknet_market"
	Gambling      Category = "gambling"
	Miner         Category = "miner"
	Service       Category = "service" // wallets, payment processors, other businesses
	DeFi          Category = "defi"
	Organization  Category = "organization"
	Individual    Category = "individual"
	Ransomware    Category = "ransomware"
	Sanctioned    Category = "sanctioned"
	Scam          Category = "scam" // phishing, Ponzi schemes, sextortion, fraud
	Hack          Category = "hack" // proceeds of a theft or a service hack
	Terrorism     Category = "terrorism"
	CSAM          Category = "csam"
	Other         Category = "other"
)

// Categories lists the vocabulary.
func Categories() []Category {
	return []Category{Exchange, Mixer, DarknetMarket, Gambling, Miner, Service, DeFi, Organization,
		Individual, Ransomware, Sanctioned, Scam, Hack, Terrorism, CSAM, Other}
}

// Valid reports whether c is in the vocabulary.
func (c Category) Valid() bool {
	for _, v := range Categories() {
		if c == v {
			return true
		}
	}
	return false
}

// ParseCategory maps a term of our vocabulary, of GraphSense's entity or
// abuse taxonomy, or a common synonym, to a Category. Case, spaces and
// hyphens do not matter ("Darknet market" is darknet_market). ok is false
// for a term no mapping knows; the Category is then Other.
func ParseCategory(term string) (c Category, ok bool) {
	t := strings.ToLower(strings.TrimSpace(term))
	t = strings.NewReplacer(" ", "_", "-", "_").Replace(t)
	switch t {
	case "exchange", "exchanges", "otc", "otc_desk", "atm":
		return Exchange, true
	case "mixer", "mixing_service", "mixing", "coinjoin", "tumbler":
		return Mixer, true
	case "darknet_market", "market", "darkweb_market", "marketplace", "dark_market", "vendor_shop", "shop":
		return DarknetMarket, true
	case "gambling", "casino":
		return Gambling, true
	case "miner", "mining_pool", "mining_service", "pool":
		return Miner, true
	case "service", "wallet_service", "payment_processor", "custodian", "hosting", "faucet", "donation":
		return Service, true
	case "defi", "defi_dex", "defi_lending", "defi_bridge", "dex", "bridge":
		return DeFi, true
	case "organization", "organisation", "company", "entity":
		return Organization, true
	case "individual", "user", "person":
		return Individual, true
	case "ransomware":
		return Ransomware, true
	case "sanctioned", "sanction", "sanctions", "ofac":
		return Sanctioned, true
	case "scam", "phishing", "ponzi_scheme", "pyramid_scheme", "investment_fraud", "sextortion", "fraud", "extortion":
		return Scam, true
	case "hack", "service_hack", "theft", "stolen_funds":
		return Hack, true
	case "terrorism", "terrorist_financing", "terror_financing":
		return Terrorism, true
	case "csam", "child_abuse", "child_sexual_abuse_material":
		return CSAM, true
	case "other":
		return Other, true
	}
	return Other, false
}

// categorize returns the Category of a source's term and the term to keep
// in [Tag.Original]: none when it is already the Category's own name.
func categorize(term string) (Category, string) {
	c, _ := ParseCategory(term)
	if string(c) == term {
		return c, ""
	}
	return c, term
}
