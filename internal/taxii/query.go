package taxii

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// endpoint is a TAXII endpoint that takes query parameters.
type endpoint uint8

const (
	epObjects  endpoint = iota + 1 // GET objects
	epManifest                     // GET manifest
	epObject                       // GET one object
	epVersions                     // GET object versions
	epDelete                       // DELETE one object
)

func (e endpoint) String() string {
	switch e {
	case epObjects:
		return "objects"
	case epManifest:
		return "manifest"
	case epObject:
		return "object"
	case epVersions:
		return "versions"
	case epDelete:
		return "delete"
	}
	return "endpoint(" + strconv.Itoa(int(e)) + ")"
}

// The TAXII parameters (section 3.4).
const (
	pAddedAfter  = "added_after"
	pLimit       = "limit"
	pNext        = "next"
	pID          = "match[id]"
	pType        = "match[type]"
	pVersion     = "match[version]"
	pSpecVersion = "match[spec_version]"
)

// params lists the parameters an endpoint takes (sections 5.3-5.8).
func (e endpoint) params() []string {
	switch e {
	case epObjects, epManifest:
		return []string{pAddedAfter, pLimit, pNext, pID, pType, pVersion, pSpecVersion}
	case epObject:
		return []string{pAddedAfter, pLimit, pNext, pVersion, pSpecVersion}
	case epVersions:
		return []string{pAddedAfter, pLimit, pNext, pSpecVersion}
	case epDelete:
		return []string{pVersion, pSpecVersion}
	}
	return nil
}

// Bounds on what a query may carry; a URL is already bounded by the HTTP
// server's header limit, these keep the store's queries small.
const (
	maxMatchValues = 1000 // values of one match[...] parameter
	maxNextLen     = 1024
	maxLimitDigits = 9
)

// query is a parsed, normalized TAXII query: match values sorted and
// deduplicated, timestamps truncated to microseconds. Two queries that
// select the same objects compare equal, which next tokens rely on.
type query struct {
	addedAfter   time.Time // zero: none
	limit        int       // 0: not given
	next         string
	ids          []string
	types        []string
	specVersions []string
	versions     store.VersionMatch // zero: not given
}

var (
	typeRE        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$`)
	idRE          = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	specVersionRE = regexp.MustCompile(`^[0-9]\.[0-9]{1,2}$`)
	nextRE        = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// parseQuery reads the TAXII parameters of vals for endpoint ep. Non-TAXII
// parameters are ignored; see the package documentation.
func parseQuery(ep endpoint, vals url.Values) (query, error) {
	var q query
	ok := ep.params()
	// Sorted, so that of several bad parameters the same one is named.
	for _, name := range slices.Sorted(maps.Keys(vals)) {
		vs := vals[name]
		isTAXII := name == pAddedAfter || name == pLimit || name == pNext || strings.HasPrefix(name, "match[")
		if !isTAXII {
			continue
		}
		if !slices.Contains(ok, name) {
			if strings.HasPrefix(name, "match[") && !slices.Contains(epObjects.params(), name) {
				return query{}, badRequest("unknown filter %s", truncate(name, 64))
			}
			return query{}, badRequest("parameter %s is not allowed on the %s endpoint", name, ep)
		}
		var err error
		switch name {
		case pAddedAfter, pLimit, pNext:
			if len(vs) != 1 {
				return query{}, badRequest("parameter %s given %d times; give it once", name, len(vs))
			}
			err = q.setSingle(name, vs[0])
		default:
			err = q.setMatch(name, vs)
		}
		if err != nil {
			return query{}, err
		}
	}
	return q, nil
}

func (q *query) setSingle(name, v string) error {
	switch name {
	case pAddedAfter:
		t, err := stix.ParseTimestamp(v)
		if err != nil {
			return badRequest("bad added_after %q: want a STIX timestamp such as 2026-01-02T03:04:05.123456Z", truncate(v, 64))
		}
		q.addedAfter = t.Truncate(time.Microsecond)
	case pLimit:
		n, err := parseLimit(v)
		if err != nil {
			return err
		}
		q.limit = n
	case pNext:
		if len(v) > maxNextLen || !nextRE.MatchString(v) {
			return errBadNext
		}
		q.next = v
	}
	return nil
}

// parseLimit reads a positive integer; a huge one is clamped later anyway,
// so digits beyond int range are not an error.
func parseLimit(v string) (int, error) {
	if v == "" || len(v) > 100 || strings.Trim(v, "0123456789") != "" {
		return 0, badRequest("limit %q is not a positive integer", truncate(v, 64))
	}
	v = strings.TrimLeft(v, "0")
	if v == "" {
		return 0, badRequest("limit must be a positive integer, not 0")
	}
	if len(v) > maxLimitDigits {
		v = strings.Repeat("9", maxLimitDigits)
	}
	n, _ := strconv.Atoi(v) // only digits, at most 9 of them
	return n, nil
}

func (q *query) setMatch(name string, vs []string) error {
	var values []string
	for _, v := range vs {
		for s := range strings.SplitSeq(v, ",") {
			if len(values) == maxMatchValues {
				return badRequest("too many values for %s (at most %d)", name, maxMatchValues)
			}
			values = append(values, strings.TrimSpace(s))
		}
	}
	var re *regexp.Regexp
	var list *[]string
	switch name {
	case pID:
		re, list = idRE, &q.ids
	case pType:
		re, list = typeRE, &q.types
	case pSpecVersion:
		re, list = specVersionRE, &q.specVersions
	case pVersion:
		return q.setVersions(values)
	}
	for _, s := range values {
		if !re.MatchString(s) {
			return badRequest("bad %s value %q", name, truncate(s, 64))
		}
	}
	*list = normalize(values)
	return nil
}

func (q *query) setVersions(values []string) error {
	var m store.VersionMatch
	for _, s := range values {
		switch s {
		case "all":
			m.All = true
		case "first":
			m.First = true
		case "last":
			m.Last = true
		default:
			t, err := stix.ParseTimestamp(s)
			if err != nil {
				return badRequest("bad match[version] value %q: want first, last, all or a STIX timestamp", truncate(s, 64))
			}
			m.At = append(m.At, t.Truncate(time.Microsecond))
		}
	}
	if m.All {
		// all covers every other value.
		m = store.VersionMatch{All: true}
	}
	slices.SortFunc(m.At, func(a, b time.Time) int { return a.Compare(b) })
	m.At = slices.CompactFunc(m.At, func(a, b time.Time) bool { return a.Equal(b) })
	q.versions = m
	return nil
}

func normalize(vs []string) []string {
	slices.Sort(vs)
	return slices.Clip(slices.Compact(vs))
}

// encode is the inverse of parseQuery: parseQuery(ep, q.encode()) == q.
func (q query) encode() url.Values {
	v := url.Values{}
	if !q.addedAfter.IsZero() {
		v.Set(pAddedAfter, stix.FormatTimestamp(q.addedAfter))
	}
	if q.limit > 0 {
		v.Set(pLimit, strconv.Itoa(q.limit))
	}
	if q.next != "" {
		v.Set(pNext, q.next)
	}
	if len(q.ids) > 0 {
		v.Set(pID, strings.Join(q.ids, ","))
	}
	if len(q.types) > 0 {
		v.Set(pType, strings.Join(q.types, ","))
	}
	if len(q.specVersions) > 0 {
		v.Set(pSpecVersion, strings.Join(q.specVersions, ","))
	}
	if vs := versionValues(q.versions); len(vs) > 0 {
		v.Set(pVersion, strings.Join(vs, ","))
	}
	return v
}

func versionValues(m store.VersionMatch) []string {
	var vs []string
	if m.All {
		vs = append(vs, "all")
	}
	if m.First {
		vs = append(vs, "first")
	}
	if m.Last {
		vs = append(vs, "last")
	}
	for _, t := range m.At {
		vs = append(vs, stix.FormatTimestamp(t))
	}
	return vs
}

// filterKey is the normalized filter of q, without paging (limit, next),
// and the object id for the per-object endpoints: what a next token is
// bound to.
func (q query) filterKey(objectID string) string {
	k := q
	k.limit, k.next = 0, ""
	return fmt.Sprintf("%s\x00%s", objectID, k.encode().Encode())
}

// filter is q as the store takes it, with limit applied.
func (q query) filter(limit int) store.Filter {
	return store.Filter{
		AddedAfter:   q.addedAfter,
		IDs:          q.ids,
		Types:        q.types,
		SpecVersions: q.specVersions,
		Versions:     q.versions,
		Limit:        limit,
	}
}
