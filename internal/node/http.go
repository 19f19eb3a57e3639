package node

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/entente/entente/internal/chainapi"
	"github.com/entente/entente/internal/store"
)

// routes wires the TAXII server, the chain API, /healthz and /metrics behind the
// middleware: recover innermost, so that a panic is still logged and counted.
func (n *Node) routes() http.Handler {
	m := newMetrics(n.store, n.cfg.Logger)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", n.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(n.cfg.Logger.Handler(), slog.LevelWarn),
		MaxRequestsInFlight: 4,
	}))
	mux.Handle(chainapi.Prefix, n.chain)
	mux.Handle("/", n.taxii)
	return n.observe(m, recoverer(n.cfg.Logger, mux))
}

func (n *Node) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := n.store.Stats(ctx); err != nil {
		n.cfg.Logger.Warn("health check: store does not answer", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "store unavailable")
		return
	}
	fmt.Fprintln(w, "ok")
}

// metrics are the node's Prometheus metrics, in a registry of their own so
// that nothing global leaks in.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(st store.Store, log *slog.Logger) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entente_http_requests_total",
			Help: "HTTP requests served, by method, route and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "entente_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.requests, m.duration, &storeCollector{st: st, log: log},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

var (
	objectsDesc = prometheus.NewDesc("entente_objects_stored", "Object versions stored, all collections.", nil, nil)
	bytesDesc   = prometheus.NewDesc("entente_store_bytes", "Size of the store on disk, when the store can tell.", nil, nil)
)

// storeCollector reads store.Stats at scrape time, so the figures are never
// staler than the scrape and cost nothing between scrapes.
type storeCollector struct {
	st  store.Store
	log *slog.Logger
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- objectsDesc
	ch <- bytesDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.st.Stats(ctx)
	if err != nil {
		c.log.Warn("metrics: store stats", "err", err)
		ch <- prometheus.NewInvalidMetric(objectsDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(objectsDesc, prometheus.GaugeValue, float64(s.Objects))
	ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.GaugeValue, float64(s.Bytes))
}

// route maps a request path to a fixed template, so that metric labels stay
// few whatever paths clients send.
func route(path string) string {
	switch path {
	case "/healthz", "/metrics", "/taxii2/":
		return path
	}
	if rest, ok := strings.CutPrefix(path, chainapi.Prefix); ok {
		// The address is the only variable part.
		switch name, _, _ := strings.Cut(rest, "/"); name {
		case "stats", "trace", "tags":
			return chainapi.Prefix + name
		case "address", "cluster":
			return chainapi.Prefix + name + "/{addr}"
		}
		return "other"
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 0 || parts[0] != "api1" || !strings.HasSuffix(path, "/") {
		return "other"
	}
	switch {
	case len(parts) == 1:
		return "/api1/"
	case len(parts) == 3 && parts[1] == "status":
		return "/api1/status/{id}/"
	case parts[1] != "collections":
		return "other"
	case len(parts) == 2:
		return "/api1/collections/"
	case len(parts) == 3:
		return "/api1/collections/{id}/"
	case len(parts) == 4 && (parts[3] == "objects" || parts[3] == "manifest"):
		return "/api1/collections/{id}/" + parts[3] + "/"
	case len(parts) == 5 && parts[3] == "objects":
		return "/api1/collections/{id}/objects/{id}/"
	case len(parts) == 6 && parts[3] == "objects" && parts[5] == "versions":
		return "/api1/collections/{id}/objects/{id}/versions/"
	}
	return "other"
}

// statusWriter remembers the status code and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs and counts every request.
func (n *Node) observe(m *metrics, next http.Handler) http.Handler {
	log := n.cfg.Logger
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		d := time.Since(start)
		rt := route(r.URL.Path)
		m.requests.WithLabelValues(r.Method, rt, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(rt).Observe(d.Seconds())
		level := slog.LevelInfo
		if sw.code >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.code),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", d),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// recoverer turns a panic into a logged TAXII 500 error. It should never
// fire: every handler returns errors; this keeps one bug from killing the
// connection without a word.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			w.Header().Set("Content-Type", "application/taxii+json;version=2.1")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"title":"internal error","description":"the server failed; the error is logged","http_status":"500"}`)
		}()
		next.ServeHTTP(w, r)
	})
}
