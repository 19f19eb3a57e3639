package taxii

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/entente/entente/internal/httpauth"
	"github.com/entente/entente/internal/store"
)

// MediaType is the TAXII 2.1 media type of every answer.
const MediaType = "application/taxii+json;version=2.1"

// stixMediaType is what collections hold and manifests announce.
const stixMediaType = "application/stix+json;version=2.1"

// Paths of the two roots the server answers.
const (
	DiscoveryPath = "/taxii2/"
	APIRootPath   = "/api1/"
)

// Config configures a Server.
type Config struct {
	// Store holds everything the server serves (required).
	Store store.Store
	// Logger receives server faults at Error and rejected objects at Debug
	// (optional; default: discard).
	Logger *slog.Logger
	// Now is the clock (optional; default time.Now).
	Now func() time.Time
	// Rand is the source of status ids and error ids (optional; default
	// crypto/rand.Reader).
	Rand io.Reader
	// Title, Description and Contact describe the server in discovery and
	// the API root (optional; Title defaults to "Entente").
	Title, Description, Contact string
	// MaxBodyBytes bounds a POST body and is the API root's
	// max_content_length (optional; default 32 MiB).
	MaxBodyBytes int64
	// MaxObjects bounds the objects of one POST (optional; default 100000).
	MaxObjects int
	// MaxDepth bounds the JSON nesting of a POST (optional; default 32).
	MaxDepth int
	// DefaultLimit is the page size when the client gives no limit
	// (optional; default 1000). MaxLimit clamps a larger limit (optional;
	// default 10000).
	DefaultLimit, MaxLimit int
	// NextKey is the HMAC-SHA256 key that signs next tokens (required, at
	// least 32 bytes). The node persists it so tokens survive a restart.
	NextKey []byte
	// NextTTL is how long a next token stays usable (optional; default 1h).
	NextTTL time.Duration
	// StatusTTL is how long statuses are kept; see PruneStatuses
	// (optional; default 7 days).
	StatusTTL time.Duration
}

// Server is the TAXII 2.1 HTTP handler. It is safe for concurrent use.
type Server struct {
	cfg   Config
	store store.Store
	log   *slog.Logger
	now   func() time.Time
	mux   *http.ServeMux
	// notFound answers paths no endpoint serves.
	notFound http.Handler
	auth     *httpauth.Authenticator

	randMu sync.Mutex // io.Reader implementations need not be concurrency-safe
	rand   io.Reader
}

// New checks cfg, applies its defaults and returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("taxii: Config.Store is required")
	}
	if len(cfg.NextKey) < 32 {
		return nil, errors.New("taxii: Config.NextKey must be at least 32 bytes")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Title == "" {
		cfg.Title = "Entente"
	}
	setDefault(&cfg.MaxBodyBytes, 32<<20)
	setDefault(&cfg.MaxObjects, 100000)
	setDefault(&cfg.MaxDepth, 32)
	setDefault(&cfg.DefaultLimit, 1000)
	setDefault(&cfg.MaxLimit, 10000)
	setDefault(&cfg.NextTTL, time.Hour)
	setDefault(&cfg.StatusTTL, 7*24*time.Hour)
	if cfg.MaxBodyBytes < 0 || cfg.MaxObjects < 0 || cfg.MaxDepth < 0 ||
		cfg.DefaultLimit < 0 || cfg.MaxLimit < 0 || cfg.NextTTL < 0 || cfg.StatusTTL < 0 {
		return nil, errors.New("taxii: Config limits must not be negative")
	}
	cfg.DefaultLimit = min(cfg.DefaultLimit, cfg.MaxLimit)
	cfg.NextKey = append([]byte(nil), cfg.NextKey...)
	s := &Server{
		cfg:   cfg,
		store: cfg.Store,
		log:   cfg.Logger,
		now:   cfg.Now,
		rand:  cfg.Rand,
		auth:  httpauth.New(cfg.Store, cfg.Now),
	}
	s.routes()
	return s, nil
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// handlerFunc is an endpoint: it answers success itself and returns an
// error for everything else.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *principal) error

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	c := "/api1/collections/{collection}/"
	o := c + "objects/{object}/"
	endpoints := []struct {
		path     string
		handlers map[string]handlerFunc
	}{
		{"/taxii2/", map[string]handlerFunc{"GET": s.discovery}},
		{"/api1/", map[string]handlerFunc{"GET": s.apiRoot}},
		{"/api1/status/{status}/", map[string]handlerFunc{"GET": s.getStatus}},
		{"/api1/collections/", map[string]handlerFunc{"GET": s.collections}},
		{c, map[string]handlerFunc{"GET": s.collection}},
		{c + "manifest/", map[string]handlerFunc{"GET": s.manifest}},
		{c + "objects/", map[string]handlerFunc{"GET": s.getObjects, "POST": s.addObjects}},
		{o, map[string]handlerFunc{"GET": s.getObject, "DELETE": s.deleteObject}},
		{o + "versions/", map[string]handlerFunc{"GET": s.versions}},
	}
	for _, e := range endpoints {
		var allow []string
		for method, h := range e.handlers {
			s.mux.Handle(method+" "+e.path+"{$}", s.endpoint(h))
			allow = append(allow, method)
			if method == "GET" {
				allow = append(allow, "HEAD")
			}
		}
		// The same path without a method catches every other method: a
		// TAXII 405 rather than ServeMux's plain-text one.
		slices.Sort(allow)
		allowed := strings.Join(allow, ", ")
		s.mux.Handle(e.path+"{$}", s.endpoint(func(w http.ResponseWriter, r *http.Request, _ *principal) error {
			w.Header().Set("Allow", allowed)
			return newError(http.StatusMethodNotAllowed, "method %s is not allowed here; allowed: %s", r.Method, allowed)
		}))
	}
	s.notFound = s.endpoint(func(w http.ResponseWriter, r *http.Request, _ *principal) error {
		return newError(http.StatusNotFound, "no TAXII endpoint at this path (TAXII paths end with '/')")
	})
	s.mux.Handle("/", s.notFound)
}

// endpoint wraps h with what every request goes through: authentication,
// then content negotiation, then the error answer.
func (s *Server) endpoint(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err == nil {
			err = checkAccept(r.Header.Values("Accept"))
		}
		if err == nil {
			err = h(w, r, p)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// ServeHTTP serves discovery and the API root.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// ServeMux would redirect a path lacking its final slash or holding
	// "//" or "..": a plain-text 301 that turns a POST into a GET. TAXII
	// paths are exact, so those are simply not found.
	if p := r.URL.Path; !strings.HasSuffix(p, "/") || path.Clean(p)+"/" != p && p != "/" {
		s.notFound.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled: this is a bug, not input.
		s.log.Error("taxii: marshal answer", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"title":"Internal Server Error","http_status":"500"}`)
	}
	s.writeBody(w, status, b)
}

func (s *Server) writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", MediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	// The whole body is in hand: saying its length spares chunking and
	// lets clients allocate once.
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// errorID names one error answer so that an operator can find it in logs.
func (s *Server) errorID() string {
	var b [8]byte
	if err := s.readRand(b[:]); err != nil {
		return ""
	}
	return hex.EncodeToString(b[:])
}

func (s *Server) readRand(b []byte) error {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	_, err := io.ReadFull(s.rand, b)
	return err
}

// PruneStatuses deletes the statuses older than Config.StatusTTL and
// returns how many went. The node calls it periodically.
func (s *Server) PruneStatuses(ctx context.Context) (int, error) {
	return s.store.PruneStatuses(ctx, s.now().Add(-s.cfg.StatusTTL))
}
