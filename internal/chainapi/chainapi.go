// Package chainapi serves the Bitcoin forensics engine (packages
// chainindex, attrib and trace) as an authenticated JSON REST API on the
// node, under /api/chain/. It is the HTTP twin of 'entente chain': the same
// queries with the same defaults and bounds.
//
// It is a transport: it builds no index (that is 'entente chain ingest',
// another process) and holds no state of its own beyond open handles.
//
// # Endpoints
//
//	GET  /api/chain/stats
//	GET  /api/chain/address/{addr}?limit=100
//	GET  /api/chain/cluster/{addr}?limit=1000
//	GET  /api/chain/trace?from=&direction=forward&policy=fifo&depth=10&min_value=1&fanout=100&max_nodes=100000&stop_at=
//	GET  /api/chain/exposure?address=&cluster=false&max_members=1000&policy=fifo&depth=10&min_value=1&fanout=100&max_nodes=100000&stop_at=
//	GET  /api/chain/tags?category=&address=
//	POST /api/chain/tags     (a JSON array of attrib.Tag; analyst or admin)
//
// Every request authenticates as on TAXII (package httpauth). Every error
// is a JSON body {"title","description","http_status"}.
//
// # Concurrency
//
// A chainindex.Index is not safe for concurrent use, so requests take turns
// on one open read-only index. Ingest runs in another process and commits
// by replacing DIR/chain/checkpoint; each request compares that file's
// identity and time with what was opened and reopens when it changed, so
// new blocks show without a restart. The tag file is followed the same way.
package chainapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/httpauth"
)

// Prefix is where the API is served; the node routes it here.
const Prefix = "/api/chain/"

// Config configures [New].
type Config struct {
	// Dir is the node's data directory; the index is Dir/chain and the
	// tags Dir/chain/tags.jsonl. Required.
	Dir string
	// Network is the index's network. Optional; default mainnet.
	Network chain.Network
	// Store authenticates callers. Required; a store.Store serves.
	Store httpauth.Store
	// MaxBodyBytes bounds a request body. Optional; default 8 MiB.
	MaxBodyBytes int64
	// Logger reports server faults. Optional; default discards.
	Logger *slog.Logger
	// Now is the clock for tokens and new tags. Optional; default time.Now.
	Now func() time.Time
}

// Handler serves the API. It is safe for concurrent use.
type Handler struct {
	cfg  Config
	auth *httpauth.Authenticator
	mux  *http.ServeMux

	mu       sync.Mutex // guards everything below, and every use of ix and tags
	ix       *chainindex.Index
	ixStamp  os.FileInfo
	tags     *tagfile.File
	tagStamp os.FileInfo // nil: no tag file when last loaded
	overlays overlays    // change-clustering overlays, by heuristic set
	labels   labelCache  // stop labels of traces and exposures
}

// New checks cfg and returns the handler. The index need not exist yet.
func New(cfg Config) (*Handler, error) {
	if cfg.Dir == "" || cfg.Store == nil {
		return nil, errors.New("chainapi: Config.Dir and Config.Store are required")
	}
	if cfg.Network.Name == "" {
		net, err := chain.ParseNetwork("mainnet")
		if err != nil {
			return nil, err
		}
		cfg.Network = net
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, auth: httpauth.New(cfg.Store, cfg.Now)}
	h.routes()
	return h, nil
}

// Close releases the open index and tags.
func (h *Handler) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var err error
	if h.ix != nil {
		err = h.ix.Close()
		h.ix = nil
	}
	if h.tags != nil {
		err = errors.Join(err, h.tags.Close())
		h.tags = nil
	}
	return err
}

func (h *Handler) chainDir() string { return filepath.Join(h.cfg.Dir, "chain") }
func (h *Handler) tagPath() string  { return filepath.Join(h.chainDir(), "tags.jsonl") }

// index returns the open index, reopened if ingest committed since. The
// caller holds h.mu.
func (h *Handler) index(ctx context.Context) (*chainindex.Index, error) {
	fi, err := os.Stat(filepath.Join(h.chainDir(), "checkpoint"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, h.noIndex()
	}
	if err != nil {
		return nil, err
	}
	if h.ix != nil && sameStamp(h.ixStamp, fi) {
		return h.ix, nil
	}
	if h.ix != nil {
		if err := h.ix.Close(); err != nil {
			h.cfg.Logger.WarnContext(ctx, "chainapi: close index", "err", err)
		}
		h.ix = nil
	}
	ix, err := chainindex.Open(ctx, chainindex.Config{Dir: h.chainDir(), Network: h.cfg.Network, ReadOnly: true,
		Logger: h.cfg.Logger, Now: h.cfg.Now})
	if errors.Is(err, chainindex.ErrNotFound) {
		return nil, h.noIndex()
	}
	if err != nil {
		return nil, err
	}
	// Stamped with the stat taken before opening: a commit in between
	// only costs one more reopen.
	h.ix, h.ixStamp = ix, fi
	return ix, nil
}

func (h *Handler) noIndex() error {
	return newError(http.StatusNotFound, "no chain index in %s yet; build one with 'entente chain ingest --data %s --blocks PATH'",
		h.cfg.Dir, h.cfg.Dir)
}

// tagFile returns the tags, reloaded if the file changed. The caller holds
// h.mu.
func (h *Handler) tagFile(ctx context.Context) (*tagfile.File, error) {
	fi, err := os.Stat(h.tagPath())
	if errors.Is(err, os.ErrNotExist) {
		fi, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if h.tags != nil && (fi == nil && h.tagStamp == nil || fi != nil && h.tagStamp != nil && sameStamp(h.tagStamp, fi)) {
		return h.tags, nil
	}
	tf, err := tagfile.Open(ctx, tagfile.Config{Path: h.tagPath(), ReadOnly: true, Now: h.cfg.Now, Logger: h.cfg.Logger})
	if err != nil {
		return nil, err
	}
	if h.tags != nil {
		h.tags.Close()
	}
	h.tags, h.tagStamp = tf, fi
	return tf, nil
}

// sameStamp reports whether a file is unchanged: the same inode (ingest
// replaces the checkpoint by rename), size and modification time.
func sameStamp(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// apiError is an answer other than success; anything else a handler
// returns is a server fault (500) and is logged.
type apiError struct {
	status      int
	description string
}

func (e *apiError) Error() string { return e.description }

func newError(status int, format string, args ...any) *apiError {
	return &apiError{status: status, description: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, format, args...)
}

type errorBody struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	HTTPStatus  string `json:"http_status"`
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, httpauth.ErrUnauthenticated):
		ae = newError(http.StatusUnauthorized, "%s", err.Error())
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		ae = newError(499, "request canceled")
	default:
		h.cfg.Logger.ErrorContext(r.Context(), "chainapi: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = newError(http.StatusInternalServerError, "internal error; see the node log")
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="entente"`)
	}
	title := http.StatusText(ae.status)
	if title == "" {
		title = "Client Closed Request"
	}
	writeJSON(w, ae.status, errorBody{Title: title, Description: ae.description, HTTPStatus: strconv.Itoa(ae.status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled: a bug, not input.
		status, b = http.StatusInternalServerError, []byte(`{"title":"Internal Server Error","description":"marshal","http_status":"500"}`)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
