// Package node assembles an Entente node: it opens the store, keeps the
// node's secrets and certificates in its data directory, builds the TAXII
// server and serves it over HTTPS with health, metrics, request logging and
// graceful shutdown.
//
// It is the one package (with cmd/entente) that names concrete stores. It
// holds no policy of its own: who may read what is decided by package auth
// inside the TAXII server, and what is stored by the store.
//
// # Data directory
//
//	DIR/entente.db       the SQLite store (when no PostgreSQL URL is given)
//	DIR/next.key         32 random bytes, mode 0600, keying TAXII paging tokens
//	DIR/tls/             node CA and server certificate, see package pki
//	DIR/chain/           the chain index and tags, built by 'entente chain'
//
// # Routes
//
//	/taxii2/, /api1/...  TAXII 2.1 (package taxii)
//	/api/chain/...       the Bitcoin forensics engine (package chainapi)
//	/healthz             200 "ok" when the store answers, 503 otherwise
//	/metrics             Prometheus text format, see metrics.go
package node

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainapi"
	"github.com/entente/entente/internal/pki"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/postgres"
	"github.com/entente/entente/internal/store/sqlite"
	"github.com/entente/entente/internal/taxii"
)

// SQLiteFile is the SQLite store's file name in the data directory.
const SQLiteFile = "entente.db"

// Defaults of Config.
const (
	DefaultMaxBodyBytes    = 32 << 20
	DefaultShutdownTimeout = 30 * time.Second
	DefaultPruneInterval   = time.Hour
)

// GCPercent is the garbage collector setting entente uses unless GOGC is
// set. A node allocates a page's worth of bytes for every page it serves
// and keeps little live data, so at Go's default of 100 the collector runs
// several times per page; at 400 a paged read costs about half (see
// BENCHMARKS.md), for a heap at most five times the live data.
const GCPercent = 400

// Config says how to assemble a node.
type Config struct {
	// Dir is the data directory. Required; created (mode 0700) if missing.
	Dir string
	// StoreURL is a postgres:// URL. Optional; empty means SQLite in
	// Dir/entente.db.
	StoreURL string
	// Hosts are the names and addresses clients use to reach the node,
	// written into the generated server certificate besides "localhost"
	// and "127.0.0.1". Optional.
	Hosts []string
	// TLSCertFile and TLSKeyFile are the operator's own certificate chain
	// and key, PEM. Optional, both or neither; when empty the node CA in
	// Dir/tls issues one.
	TLSCertFile, TLSKeyFile string
	// MaxBodyBytes bounds every request body. Optional, default 32 MiB.
	MaxBodyBytes int64
	// ShutdownTimeout is how long in-flight requests may run after the
	// serving context ends. Optional, default 30s.
	ShutdownTimeout time.Duration
	// PruneInterval is how often old TAXII statuses are pruned. Optional,
	// default one hour.
	PruneInterval time.Duration
	// ChainNetwork is the network of the chain index in DIR/chain.
	// Optional; default mainnet.
	ChainNetwork chain.Network
	// Logger receives request logs and errors. Optional; nil discards.
	Logger *slog.Logger
	// Now is the clock. Optional, default time.Now.
	Now func() time.Time
	// Rand is the randomness for keys and certificates. Optional, default
	// crypto/rand.
	Rand io.Reader
}

// Node is an assembled node, ready to Serve.
type Node struct {
	cfg     Config
	store   store.Store
	taxii   *taxii.Server
	chain   *chainapi.Handler
	tls     *tls.Config
	caFile  string
	handler http.Handler
}

// StoreConfig names the store a node or an admin command uses.
type StoreConfig struct {
	// Dir is the data directory; the SQLite store is Dir/entente.db.
	// Required unless URL is given; created (mode 0700) if missing.
	Dir string
	// URL is a postgres:// URL. Optional; when given, Dir is not used.
	URL string
	// Logger receives the store's notes. Optional; nil discards.
	Logger *slog.Logger
	// Now is the store's clock for date_added. Optional, default time.Now.
	Now func() time.Time
}

// OpenStore opens the store named by cfg: PostgreSQL when cfg.URL is not
// empty, else SQLite in cfg.Dir/entente.db.
func OpenStore(ctx context.Context, cfg StoreConfig) (store.Store, error) {
	dir, url := cfg.Dir, cfg.URL
	if url != "" {
		if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
			return nil, fmt.Errorf("store URL must start with postgres:// (got %q)", redact(url))
		}
		return postgres.Open(ctx, postgres.Config{URL: url, Logger: cfg.Logger, Now: cfg.Now})
	}
	if dir == "" {
		return nil, errors.New("no data directory and no store URL: give --data DIR or --store postgres://USER@HOST/DB")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, SQLiteFile), Logger: cfg.Logger, Now: cfg.Now})
}

// redact hides a password in a URL shown in an error.
func redact(url string) string {
	if at := strings.LastIndexByte(url, '@'); at > 0 {
		if i := strings.Index(url, "://"); i >= 0 && i+3 < at {
			return url[:i+3] + "…" + url[at:]
		}
	}
	return url
}

// Open opens the store, loads or creates the node's key and certificates,
// and builds the TAXII server.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Dir == "" {
		return nil, errors.New("node: Config.Dir is required")
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("node: give both a TLS certificate and its key, or neither")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.PruneInterval <= 0 {
		cfg.PruneInterval = DefaultPruneInterval
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
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg}
	if err := n.loadTLS(); err != nil {
		return nil, err
	}
	key, err := loadKey(filepath.Join(cfg.Dir, "next.key"), cfg.Rand)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, StoreConfig{Dir: cfg.Dir, URL: cfg.StoreURL, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	srv, err := taxii.New(taxii.Config{
		Store:        st,
		Logger:       cfg.Logger,
		Now:          cfg.Now,
		Rand:         cfg.Rand,
		NextKey:      key,
		MaxBodyBytes: cfg.MaxBodyBytes,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	ch, err := chainapi.New(chainapi.Config{Dir: cfg.Dir, Network: cfg.ChainNetwork, Store: st,
		MaxBodyBytes: cfg.MaxBodyBytes, Logger: cfg.Logger, Now: cfg.Now})
	if err != nil {
		st.Close()
		return nil, err
	}
	n.store, n.taxii, n.chain = st, srv, ch
	n.handler = n.routes()
	return n, nil
}

func (n *Node) loadTLS() error {
	var cert tls.Certificate
	if n.cfg.TLSCertFile != "" {
		c, err := tls.LoadX509KeyPair(n.cfg.TLSCertFile, n.cfg.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		cert = c
	} else {
		hosts := append([]string{"localhost", "127.0.0.1"}, n.cfg.Hosts...)
		res, err := pki.Ensure(filepath.Join(n.cfg.Dir, "tls"), hosts, n.cfg.Now(), n.cfg.Rand)
		if err != nil {
			return err
		}
		cert, n.caFile = res.Cert, res.CAFile
	}
	n.tls = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
	return nil
}

// loadKey reads the paging-token key, creating it on first start. It is
// kept across restarts so that clients' next tokens stay valid.
func loadKey(path string, rnd io.Reader) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("%s: %d bytes, want 32 (remove it to make a new one)", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, err
	}
	// O_EXCL: two nodes starting at once on one directory must not each
	// believe their own key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return loadKey(path, rnd)
		}
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// Store is the node's store, for seeding and administration.
func (n *Node) Store() store.Store { return n.store }

// CAFile is the path of the node CA certificate clients should trust, or
// "" when the operator gave their own certificate.
func (n *Node) CAFile() string { return n.caFile }

// Handler is the node's HTTP handler with all its middleware, without TLS.
func (n *Node) Handler() http.Handler { return n.handler }

// Close closes the store.
func (n *Node) Close() error { return errors.Join(n.chain.Close(), n.store.Close()) }

// Serve serves HTTPS (TLS 1.3 only) on ln until ctx ends, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish for up to
// Config.ShutdownTimeout, and returns. It returns nil after a clean
// shutdown. Serve does not close the store.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	log := n.cfg.Logger
	srv := &http.Server{
		Handler:           n.handler,
		TLSConfig:         n.tls,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	var wg sync.WaitGroup
	pruneCtx, stopPrune := context.WithCancel(ctx)
	defer func() { stopPrune(); wg.Wait() }()
	wg.Go(func() { n.pruneLoop(pruneCtx) })

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tls.NewListener(ln, n.tls)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", n.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		err = fmt.Errorf("shutdown: requests still running after %v were cut", n.cfg.ShutdownTimeout)
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func (n *Node) pruneLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pruned, err := n.taxii.PruneStatuses(ctx)
			if err != nil && ctx.Err() == nil {
				n.cfg.Logger.Warn("pruning statuses", "err", err)
			} else if pruned > 0 {
				n.cfg.Logger.Info("pruned old statuses", "count", pruned)
			}
		}
	}
}
