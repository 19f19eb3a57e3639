// Package btcrpc is a client of a Bitcoin node's JSON-RPC interface, for
// following a chain as it grows: the few calls ingest needs
// (getblockchaininfo, getblockhash, getblock HASH 0) against Bitcoin Core
// (plain HTTP, user and password or the .cookie file) or btcd (HTTPS with
// its own certificate).
//
// Every answer is bounded before it is read: a block at most
// [MaxBlockBytes] of hex, anything else 1 MB. Errors name the node, the
// call and what went wrong, in words an analyst can act on (a refused
// connection, rejected credentials, an unknown block).
package btcrpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// MaxBlockBytes bounds a block fetched: the consensus limit of 4,000,000
// weight units allows at most 4,000,000 bytes.
const MaxBlockBytes = 4_000_000

// maxSmall bounds every answer but a block.
const maxSmall = 1 << 20

// Config says how to reach a node.
type Config struct {
	// URL is the node's RPC address: http://host:port for Bitcoin Core,
	// https://host:port for btcd. A user and password in the URL are used
	// when User is empty. Required.
	URL string
	// User and Password authenticate with HTTP Basic. Optional.
	User, Password string
	// CookieFile is Bitcoin Core's .cookie ("__cookie__:secret"), read for
	// each connection so a restarted node's new cookie is picked up.
	// Optional; used when User is empty.
	CookieFile string
	// CAFile is a PEM certificate to trust for an https URL: btcd's
	// rpc.cert. Optional; default the system roots.
	CAFile string
	// CA is CAFile's content, for callers holding it in memory. Optional.
	CA []byte
	// Timeout bounds each call. Optional; default 60 seconds.
	Timeout time.Duration
}

// Client calls one node. It is safe for concurrent use.
type Client struct {
	cfg  Config
	url  string // without user info
	host string
	http *http.Client
	id   atomic.Uint64
}

// New checks cfg and returns a client; it does not contact the node.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("btcrpc: %q is not a node address: want http://host:port or https://host:port", cfg.URL)
	}
	if cfg.User == "" && u.User != nil {
		cfg.User = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	u.User = nil
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	if u.Scheme == "https" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		ca := cfg.CA
		if cfg.CAFile != "" {
			if ca, err = os.ReadFile(cfg.CAFile); err != nil {
				return nil, fmt.Errorf("btcrpc: node certificate: %w", err)
			}
		}
		if len(ca) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return nil, fmt.Errorf("btcrpc: node certificate %s holds no PEM certificate", cfg.CAFile)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	} else if cfg.CAFile != "" || len(cfg.CA) > 0 {
		return nil, fmt.Errorf("btcrpc: a certificate was given for %s, which is not https", u.Redacted())
	}
	return &Client{cfg: cfg, url: u.String(), host: u.Host, http: &http.Client{Transport: tr}}, nil
}

// Error is a failed call.
type Error struct {
	Node   string // host:port
	Method string
	// Code is the node's JSON-RPC error code, 0 for transport failures.
	Code int
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("node %s: %s: %v", e.Node, e.Method, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errors callers can check with errors.Is.
var (
	// ErrUnreachable: the connection was refused, dropped or timed out.
	ErrUnreachable = errors.New("cannot reach the node")
	// ErrAuth: the node rejected the credentials.
	ErrAuth = errors.New("the node rejected the RPC user and password")
	// ErrNotFound: no block at that height or with that hash.
	ErrNotFound = errors.New("no such block on the node")
	// ErrBadAnswer: an answer that is not what the call returns.
	ErrBadAnswer = errors.New("the node's answer is malformed")
)

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// call runs method and decodes its result into out, reading at most max
// bytes of answer.
func (c *Client) call(ctx context.Context, method string, params []any, max int64, out any) error {
	fail := func(code int, err error) error { return &Error{Node: c.host, Method: method, Code: code, Err: err} }
	body, err := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		ID      uint64 `json:"id"`
		Method  string `json:"method"`
		Params  []any  `json:"params"`
	}{"1.0", c.id.Add(1), method, params})
	if err != nil {
		return fail(0, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fail(0, err)
	}
	req.Header.Set("Content-Type", "application/json")
	user, pass := c.cfg.User, c.cfg.Password
	if user == "" && c.cfg.CookieFile != "" {
		if user, pass, err = readCookie(c.cfg.CookieFile); err != nil {
			return fail(0, err)
		}
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return err
		}
		return fail(0, fmt.Errorf("%w at %s: %v", ErrUnreachable, c.host, rootCause(err)))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fail(0, ErrAuth)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return fail(0, fmt.Errorf("%w: the connection dropped mid-answer: %v", ErrUnreachable, rootCause(err)))
	}
	if int64(len(b)) > max {
		return fail(0, fmt.Errorf("%w: answer larger than %d bytes", ErrBadAnswer, max))
	}
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		if resp.StatusCode != http.StatusOK {
			return fail(0, fmt.Errorf("%w: HTTP %s", ErrBadAnswer, resp.Status))
		}
		return fail(0, fmt.Errorf("%w: %v", ErrBadAnswer, err))
	}
	if env.Error != nil {
		err := fmt.Errorf("error %d: %s", env.Error.Code, env.Error.Message)
		// -5 invalid address or key (Core: block not found), -8 invalid
		// parameter (Core: height out of range); btcd answers -1 and -5.
		if env.Error.Code == -5 || env.Error.Code == -8 || env.Error.Code == -1 && strings.Contains(env.Error.Message, "out of range") {
			err = fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return fail(env.Error.Code, err)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fail(0, fmt.Errorf("%w: result: %v", ErrBadAnswer, err))
	}
	return nil
}

func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

func readCookie(path string) (user, pass string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("RPC cookie: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return "", "", fmt.Errorf("RPC cookie: %w", err)
	}
	user, pass, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok {
		return "", "", fmt.Errorf("RPC cookie %s is not user:password", path)
	}
	return user, pass, nil
}

// ChainInfo is what getblockchaininfo tells of the node's best chain.
type ChainInfo struct {
	// Chain is the node's network as it names it: main, test, testnet4,
	// signet, regtest (Bitcoin Core); mainnet, testnet3, simnet,
	// regtest (btcd).
	Chain string `json:"chain"`
	// Blocks is the height of the best block.
	Blocks int64 `json:"blocks"`
	// BestBlockHash is the hash of the best block, in RPC (reversed) hex.
	BestBlockHash string `json:"bestblockhash"`
}

// Network maps Chain to the names internal/chain uses.
func (ci ChainInfo) Network() string {
	switch ci.Chain {
	case "main", "mainnet":
		return "mainnet"
	case "test", "testnet", "testnet3", "testnet4":
		return "testnet"
	}
	return ci.Chain
}

// ChainInfo calls getblockchaininfo.
func (c *Client) ChainInfo(ctx context.Context) (ChainInfo, error) {
	var ci ChainInfo
	if err := c.call(ctx, "getblockchaininfo", []any{}, maxSmall, &ci); err != nil {
		return ChainInfo{}, err
	}
	if ci.Blocks < 0 || ci.Blocks > 1<<31 {
		return ChainInfo{}, &Error{Node: c.host, Method: "getblockchaininfo", Err: fmt.Errorf("%w: height %d", ErrBadAnswer, ci.Blocks)}
	}
	return ci, nil
}

// BlockHash calls getblockhash: the hash of the block at height on the
// node's best chain.
func (c *Client) BlockHash(ctx context.Context, height int64) (chainhash.Hash, error) {
	var s string
	if err := c.call(ctx, "getblockhash", []any{height}, maxSmall, &s); err != nil {
		return chainhash.Hash{}, err
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil || len(s) != 64 {
		return chainhash.Hash{}, &Error{Node: c.host, Method: "getblockhash", Err: fmt.Errorf("%w: %q is not a block hash", ErrBadAnswer, s)}
	}
	return *h, nil
}

// Block calls getblock HASH 0 and returns the serialized block.
func (c *Client) Block(ctx context.Context, hash chainhash.Hash) ([]byte, error) {
	var s string
	if err := c.call(ctx, "getblock", []any{hash.String(), 0}, 2*MaxBlockBytes+1024, &s); err != nil {
		return nil, err
	}
	if len(s)%2 != 0 || len(s) > 2*MaxBlockBytes {
		return nil, &Error{Node: c.host, Method: "getblock", Err: fmt.Errorf("%w: block %s: %d hex digits", ErrBadAnswer, hash, len(s))}
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, &Error{Node: c.host, Method: "getblock", Err: fmt.Errorf("%w: block %s: %v", ErrBadAnswer, hash, err)}
	}
	return b, nil
}
