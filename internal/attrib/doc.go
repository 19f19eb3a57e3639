// Package attrib is attribution for the Bitcoin forensics engine: tags that
// say who is behind an address (an exchange, a ransomware family, a
// sanctioned person), where that claim comes from and how far to trust it.
//
// It is the domain of tags, not their storage: it parses the formats tags
// arrive in and checks them, and knows nothing of files or databases
// (package [github.com/entente/entente/internal/attrib/tagfile] keeps
// them on disk). It does not decide what a tag means for a cluster or a
// trace; callers aggregate with [Summarize].
//
// # Categories
//
// A [Category] is one word of a closed vocabulary ([Categories]) that the
// sources' own taxonomies map onto: GraphSense's entity and abuse
// concepts (the INTERPOL darknet and cryptoasset taxonomy) and the OFAC
// list. A term no mapping knows becomes [Other], and the source's word is
// kept in [Tag.Original] so nothing an analyst could search for is lost.
// A GraphSense tag with an abuse concept (ransomware, sanction, scam...)
// is categorised by its abuse rather than its entity kind: an exchange's
// hacked hot wallet matters to an investigator as a hack.
//
// # Confidence
//
// Confidence is 0 to 100. TagPack names map to GraphSense's levels
// (graphsense-tagpack-tool's confidence.csv): ownership 100,
// authority_data 60, forensic 50, web_crawl 20 and so on ([Confidence]); a
// TagPack tag without one gets 5, GraphSense's "unknown".
//
// # Formats
//
//   - [ParseTagPack]: GraphSense TagPack YAML
//     (https://github.com/graphsense/graphsense-tagpacks). Header fields
//     (label, category, abuse, actor, source, currency or network,
//     confidence, lastmod) are inherited by every entry of tags: unless the
//     entry sets its own. YAML decoding is go.yaml.in/yaml/v3's; only the
//     mapping onto tags is written here.
//   - [ParseOFAC]: the OFAC SDN address lists as published by
//     0xB10C/ofac-sanctioned-digital-currency-addresses, one address per
//     line per asset.
//
// Both parsers bound their input's size and tag count before reading it
// all, and name the line of the first fault.
package attrib
