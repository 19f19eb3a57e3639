// Package fakenode is a small Bitcoin JSON-RPC server over blocks held in
// memory, answering getblockchaininfo, getblockhash and getblock HASH 0
// the way Bitcoin Core does. Tests of ingest use it where running a real
// node (see internal/follow's btcd test) would be slow; it is a real
// server on a real socket, so the client's HTTP, authentication and error
// handling run for real.
package fakenode

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/chain"
)

// Node serves a chain. Its methods are safe for concurrent use.
type Node struct {
	URL        string // http://127.0.0.1:port
	User, Pass string
	Chain      string // getblockchaininfo's chain name, e.g. "main"

	srv    *httptest.Server
	mu     sync.Mutex
	blocks [][]byte
	hashes []chainhash.Hash
}

// Start serves blocks (serialized, genesis first) until Close.
func Start(chainName, user, pass string, blocks [][]byte) (*Node, error) {
	n := &Node{User: user, Pass: pass, Chain: chainName}
	if err := n.SetBlocks(blocks); err != nil {
		return nil, err
	}
	n.srv = httptest.NewServer(http.HandlerFunc(n.serve))
	n.URL = n.srv.URL
	return n, nil
}

// SetBlocks replaces the node's best chain, as a reorganisation would.
func (n *Node) SetBlocks(blocks [][]byte) error {
	hashes := make([]chainhash.Hash, len(blocks))
	var blk chain.Block
	for i, b := range blocks {
		if err := blk.Parse(b); err != nil {
			return err
		}
		hashes[i] = blk.Hash()
	}
	n.mu.Lock()
	n.blocks, n.hashes = blocks, hashes
	n.mu.Unlock()
	return nil
}

// Close stops the server.
func (n *Node) Close() { n.srv.Close() }

type request struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params []any           `json:"params"`
}

func (n *Node) serve(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != n.User || p != n.Pass {
		w.WriteHeader(http.StatusUnauthorized) // as Core: no body
		return
	}
	var req request
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		reply(w, nil, nil, -32700, "Parse error")
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch req.Method {
	case "getblockchaininfo":
		best := ""
		if len(n.hashes) > 0 {
			best = n.hashes[len(n.hashes)-1].String()
		}
		reply(w, req.ID, map[string]any{"chain": n.Chain, "blocks": len(n.blocks) - 1, "bestblockhash": best}, 0, "")
	case "getblockhash":
		h, ok := param[float64](req, 0)
		if !ok || h < 0 || int(h) >= len(n.hashes) {
			reply(w, req.ID, nil, -8, "Block height out of range")
			return
		}
		reply(w, req.ID, n.hashes[int(h)].String(), 0, "")
	case "getblock":
		s, ok := param[string](req, 0)
		hash, err := chainhash.NewHashFromStr(s)
		if !ok || err != nil {
			reply(w, req.ID, nil, -8, "blockhash must be of length 64")
			return
		}
		for i, h := range n.hashes {
			if h == *hash {
				reply(w, req.ID, hex.EncodeToString(n.blocks[i]), 0, "")
				return
			}
		}
		reply(w, req.ID, nil, -5, "Block not found")
	default:
		reply(w, req.ID, nil, -32601, "Method not found")
	}
}

func param[T any](req request, i int) (T, bool) {
	var zero T
	if i >= len(req.Params) {
		return zero, false
	}
	v, ok := req.Params[i].(T)
	return v, ok
}

func reply(w http.ResponseWriter, id json.RawMessage, result any, code int, msg string) {
	var e any
	if code != 0 {
		e = map[string]any{"code": code, "message": msg}
		w.WriteHeader(http.StatusInternalServerError) // Core answers errors with 500 or 404
	}
	json.NewEncoder(w).Encode(map[string]any{"result": result, "error": e, "id": id})
}

// ReadBlocks reads the blocks of a mainnet blk file written in chain order
// (as internal/sim writes them), to serve.
func ReadBlocks(path string) ([][]byte, error) {
	net, err := chain.ParseNetwork("mainnet")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := chain.NewBlockFileReader(f, chain.BlockFileConfig{Network: net, Name: path})
	var blocks [][]byte
	for {
		fb, err := r.Next()
		if err == io.EOF {
			return blocks, nil
		}
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, bytes.Clone(fb.Bytes))
	}
}
