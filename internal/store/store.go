// Package store is the storage contract of an Entente node: what the TAXII
// server and the admin commands need from a database, and nothing about how
// a database provides it.
//
// Two implementations exist, store/sqlite (the embedded default) and
// store/postgres, and store/storetest is the conformance suite that both
// must pass. Only the assembling package (internal/node) and cmd/entente
// name a concrete store.
//
// # Ordering and date_added
//
// Every object version written gets a date_added that is unique across the
// whole store and strictly increasing in commit order, with microsecond
// resolution: a store assigns max(now, last+1µs) while holding its write
// lock. Ordering by date_added is therefore total, a client paging with
// added_after = X-TAXII-Date-Added-Last never loses or repeats an object,
// and an opaque next token only needs the last date_added it returned.
//
// # Durability
//
// A write method returns only after its transaction is durable: a kill -9
// (or power loss on SQLite with synchronous=FULL) after it returns loses
// nothing, and a crash before it returns leaves nothing of it.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
)

// Errors every store returns for the same conditions; callers check them
// with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrSchemaTooNew: the database was written by a newer Entente.
	ErrSchemaTooNew = errors.New("database schema is newer than this entente binary; upgrade entente")
)

// Collection is a TAXII collection and who may use it.
type Collection struct {
	ID          string // UUID, chosen by the caller
	Title       string
	Description string
	// ReadOrgs and WriteOrgs name the organizations with read and write
	// rights; the single entry "*" means every organization.
	ReadOrgs  []string
	WriteOrgs []string
	// Recipients is the collection's audience: organizations named as
	// recipients of every object in it (TLP:AMBER and AMBER+STRICT).
	Recipients []string
	// DefaultTLP applies to objects without a TLP marking, at read time.
	DefaultTLP stix.TLP
	Created    time.Time
}

// AllOrgs is the ReadOrgs/WriteOrgs entry meaning every organization.
const AllOrgs = "*"

// Write is one object version to store, with the organization and user
// that posted it.
type Write struct {
	Object       *stix.Object
	ProducerOrg  string
	ProducerUser string
}

// VersionMatch is TAXII's match[version]. The zero value means "last",
// TAXII's default for objects and manifests.
type VersionMatch struct {
	All, First, Last bool
	At               []time.Time // exact versions
}

// Filter is a TAXII query on one collection.
type Filter struct {
	AddedAfter   time.Time // exclusive; zero for none
	IDs          []string  // match[id]; empty for any
	Types        []string  // match[type]; empty for any
	SpecVersions []string  // match[spec_version]; empty means the latest spec_version of each object ("2.1")
	Versions     VersionMatch
	Limit        int // at most this many entries; must be > 0
}

// Entry is one object version in a query result.
type Entry struct {
	ID          string
	Type        string
	SpecVersion string
	// Version is the object's modified, else created, else its date_added.
	Version   time.Time
	DateAdded time.Time
	Raw       json.RawMessage // nil when the query asked for manifests only
}

// Page is one page of a query, in date_added order.
type Page struct {
	Entries []Entry
	More    bool // more entries match after the last one
}

// Status is a TAXII status resource for one POST.
type Status struct {
	ID               string
	Collection       string
	User             string // who posted; only they may read the status
	RequestTimestamp time.Time
	Total            int
	SuccessCount     int
	FailureCount     int
	Successes        []StatusDetail
	Failures         []StatusDetail
}

// PendingCount is how many objects of the request are not yet resolved.
func (s Status) PendingCount() int { return s.Total - s.SuccessCount - s.FailureCount }

// StatusDetail is the outcome for one object of a POST.
type StatusDetail struct {
	ID      string
	Version time.Time
	Message string
}

// Stats are figures for /metrics.
type Stats struct {
	Objects int64 // stored object versions, all collections
	Bytes   int64 // size of the database on disk, when the store can tell
}

// Store is what the node needs from a database. All methods are safe for
// concurrent use.
type Store interface {
	CreateOrg(ctx context.Context, o auth.Org) error // ErrExists
	Org(ctx context.Context, name string) (auth.Org, error)
	Orgs(ctx context.Context) ([]auth.Org, error)

	CreateUser(ctx context.Context, u auth.User) error // ErrExists; ErrNotFound if the org is missing
	User(ctx context.Context, name string) (auth.User, error)
	Users(ctx context.Context) ([]auth.User, error)

	CreateToken(ctx context.Context, t auth.Token) error
	// TokenByHash finds a token, revoked or not, by the hash of its secret.
	TokenByHash(ctx context.Context, hash [32]byte) (auth.Token, error)
	RevokeToken(ctx context.Context, id string) error // ErrNotFound
	Tokens(ctx context.Context, user string) ([]auth.Token, error)

	CreateCollection(ctx context.Context, c Collection) error
	Collection(ctx context.Context, id string) (Collection, error)
	Collections(ctx context.Context) ([]Collection, error)

	CreateStatus(ctx context.Context, s Status) error
	// AddObjects stores ws in the collection and records their outcome in
	// the status: each write becomes a success, and failures (objects the
	// caller rejected) are recorded too, all in one durable transaction.
	// Writing a version the collection already holds is a success that
	// changes nothing. It returns the date_added of each write, in order.
	AddObjects(ctx context.Context, collection, statusID string, ws []Write, failures []StatusDetail) ([]time.Time, error)
	Status(ctx context.Context, id string) (Status, error)
	// PruneStatuses deletes statuses requested before the given time.
	PruneStatuses(ctx context.Context, before time.Time) (int, error)

	// Query returns the entries of the collection that match f and that the
	// viewer may read under auth.CanRead, ordered by date_added. With
	// withRaw false, Entry.Raw is left nil (manifests, versions).
	Query(ctx context.Context, c Collection, v auth.Viewer, f Filter, withRaw bool) (Page, error)
	// Delete removes the versions of one object that match f's Versions and
	// SpecVersions and that the viewer may read; it returns how many.
	Delete(ctx context.Context, c Collection, v auth.Viewer, id string, f Filter) (int, error)

	Stats(ctx context.Context) (Stats, error)
	Close() error
}
