package chainindex

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/aead/siphash"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/cluster"
)

func sipHash(b []byte, key *[16]byte) uint64 { return siphash.Sum64(b, key) }

// sets gives the clusterer the forest stored in addr.parent and addr.size.
type sets struct{ ix *Index }

var _ cluster.Sets = sets{}

// Parent and Size treat an id past the end, which only a corrupt file
// can name, as a root of size 0, for the readers' checks to catch.
func (s sets) Parent(id uint32) uint32 {
	if uint64(id) >= s.ix.parent.len() {
		return id
	}
	return s.ix.parent.u32(id)
}

func (s sets) Size(id uint32) uint32 {
	if uint64(id) >= s.ix.size.len() {
		return 0
	}
	return s.ix.size.u32(id)
}

func (s sets) SetParent(id, p uint32) {
	s.ix.record(2, id, s.ix.parent)
	s.ix.parent.setU32(id, p)
}

func (s sets) SetSize(id uint32, n uint32) {
	s.ix.record(3, id, s.ix.size)
	s.ix.size.setU32(id, n)
}

func (s sets) Splice(a, b uint32) {
	na, nb := s.ix.next.u32(a), s.ix.next.u32(b)
	s.ix.record(4, a, s.ix.next)
	s.ix.record(4, b, s.ix.next)
	s.ix.next.setU32(a, nb)
	s.ix.next.setU32(b, na)
}

// Tip returns the hash of the last block indexed and the number of blocks
// (the tip's height plus one; 0 for an empty index).
func (ix *Index) Tip() (chainhash.Hash, uint32) { return ix.tip, uint32(ix.blocks.len()) }

// BlockHash returns the hash of the block at height h < the block count.
func (ix *Index) BlockHash(h uint32) chainhash.Hash {
	return chainhash.Hash(ix.blocks.at(uint64(h))[:32])
}

// TxFingerprint returns the wallet fingerprint of transaction t < the
// transaction count.
func (ix *Index) TxFingerprint(t uint32) cluster.Fingerprint {
	return cluster.Fingerprint(ix.fp.at(uint64(t))[0])
}

// TxID returns the txid of transaction t.
func (ix *Index) TxID(t uint32) chainhash.Hash { return chainhash.Hash(ix.txs.at(uint64(t))[:32]) }

// txOutputs returns the output ids [first, end) of transaction t.
func (ix *Index) txOutputs(t uint32) (first, end uint32) {
	first = binary.LittleEndian.Uint32(ix.txs.at(uint64(t))[32:])
	end = uint32(ix.outs.len())
	if uint64(t)+1 < ix.txs.len() {
		end = binary.LittleEndian.Uint32(ix.txs.at(uint64(t) + 1)[32:])
	}
	return first, end
}

func (ix *Index) outAddr(o uint32) uint32 {
	return binary.LittleEndian.Uint32(ix.outs.at(uint64(o))[8:])
}

// Output is one transaction output.
type Output struct {
	ID      uint32
	TxID    chainhash.Hash
	Vout    uint32
	Height  uint32
	Value   int64
	Spent   bool
	SpentBy chainhash.Hash // the spending transaction, when Spent
}

// MarshalJSON writes the form the CLI's --json and the REST API share:
// txids in the usual reversed hex, spent_by only when spent.
func (o Output) MarshalJSON() ([]byte, error) {
	v := struct {
		TxID    string `json:"txid"`
		Vout    uint32 `json:"vout"`
		Height  uint32 `json:"height"`
		Value   int64  `json:"value"`
		SpentBy string `json:"spent_by,omitempty"`
	}{TxID: o.TxID.String(), Vout: o.Vout, Height: o.Height, Value: o.Value}
	if o.Spent {
		v.SpentBy = o.SpentBy.String()
	}
	return json.Marshal(v)
}

// output describes output o.
func (ix *Index) output(o uint32) Output {
	rec := ix.outs.at(uint64(o))
	t := ix.txOf(o)
	first, _ := ix.txOutputs(t)
	out := Output{ID: o, TxID: ix.TxID(t), Vout: o - first, Height: ix.heightOf(t), Value: int64(binary.LittleEndian.Uint64(rec))}
	if s := ix.spent.u32(o); s != 0 && uint64(s-1) < ix.txs.len() {
		out.Spent, out.SpentBy = true, ix.TxID(s-1)
	}
	return out
}

// txOf finds the transaction creating output o: the last one whose first
// output is at most o (transactions without outputs sort before).
func (ix *Index) txOf(o uint32) uint32 {
	n := int(ix.txs.len())
	i := sort.Search(n, func(t int) bool { return binary.LittleEndian.Uint32(ix.txs.at(uint64(t))[32:]) > o })
	return uint32(i - 1)
}

func (ix *Index) heightOf(t uint32) uint32 {
	n := int(ix.blocks.len())
	i := sort.Search(n, func(h int) bool { return binary.LittleEndian.Uint32(ix.blocks.at(uint64(h))[36:]) > t })
	return uint32(i - 1)
}

// Stats are the index's counts.
type Stats struct {
	Blocks        uint64  `json:"blocks"`
	Height        int64   `json:"height"` // -1 when empty
	Txs           uint64  `json:"txs"`
	Inputs        uint64  `json:"inputs"`
	Outputs       uint64  `json:"outputs"`
	Addresses     uint64  `json:"addresses"`
	Clusters      uint64  `json:"clusters"`
	CoinJoins     uint64  `json:"coinjoins_skipped"`
	RefusedMerges uint64  `json:"refused_merges"`
	Bytes         int64   `json:"bytes"`
	BytesPerTx    float64 `json:"bytes_per_tx"`
}

// Stats returns the counts of the index, including what is not committed
// yet.
func (ix *Index) Stats() (Stats, error) {
	st := Stats{
		Blocks: ix.blocks.len(), Height: int64(ix.blocks.len()) - 1, Txs: ix.txs.len(),
		Inputs: ix.ins.len(), Outputs: ix.outs.len(), Addresses: ix.addrEnd.len(),
		CoinJoins: ix.coinjoins, RefusedMerges: ix.refused.len(),
	}
	st.Clusters = st.Addresses - ix.clusterer.Merges
	// The index's own files: the directory also holds the node's tags
	// and what commands keep beside them.
	names := []string{"checkpoint", "journal", "txid.ht", "addr.ht"}
	for _, c := range ix.columns() {
		names = append(names, filepath.Base(c.name))
	}
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(ix.dir, n))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return st, err
		}
		st.Bytes += fi.Size()
	}
	if st.Txs > 0 {
		st.BytesPerTx = float64(st.Bytes) / float64(st.Txs)
	}
	return st, nil
}

// Address is what the index knows of one address.
type Address struct {
	ID       uint32   `json:"id"`
	Address  string   `json:"address"`
	Received int64    `json:"received"`
	Spent    int64    `json:"spent"`
	Balance  int64    `json:"balance"`
	Outputs  int      `json:"output_count"`
	Cluster  uint32   `json:"cluster"` // the id of the cluster's root address
	Size     uint32   `json:"cluster_size"`
	List     []Output `json:"outputs"` // never nil, so that it encodes as []
}

// maxFind bounds a read-only walk up the forest; path compression keeps
// real paths far shorter.
const maxFind = 1 << 20

// LookupAddress returns the id of an address string, which must be spelled
// canonically (bech32 in lower case).
func (ix *Index) LookupAddress(addr string) (uint32, error) {
	key, err := parseAddress(ix.cfg.Network, addr)
	if err != nil {
		return 0, err
	}
	id, ok := ix.addrTab.find(sipHash(key, &ix.key), uint32(ix.addrEnd.len()), func(id uint32) bool {
		return string(ix.addressKey(id)) == string(key)
	})
	if !ok {
		return 0, fmt.Errorf("%w: address %s", ErrNotFound, addr)
	}
	return id, nil
}

// AddressString returns the address of id.
func (ix *Index) AddressString(id uint32) (string, error) {
	if uint64(id) >= ix.addrEnd.len() {
		return "", fmt.Errorf("%w: address id %d", ErrNotFound, id)
	}
	return keyString(ix.cfg.Network, ix.addressKey(id))
}

// AddressInfo returns totals, cluster and up to limit outputs (newest
// first) of an address.
func (ix *Index) AddressInfo(addr string, limit int) (Address, error) {
	id, err := ix.LookupAddress(addr)
	if err != nil {
		return Address{}, err
	}
	a := Address{ID: id, Address: addr, List: []Output{}}
	for o := ix.last.u32(id); o != 0; {
		if uint64(o) > ix.outs.len() {
			return a, fmt.Errorf("%w: output list of address %s names output %d", ErrCorrupt, addr, o-1)
		}
		out := ix.output(o - 1)
		a.Outputs++
		a.Received += out.Value
		if out.Spent {
			a.Spent += out.Value
		}
		if len(a.List) < limit {
			a.List = append(a.List, out)
		}
		prev := binary.LittleEndian.Uint32(ix.outs.at(uint64(o - 1))[12:])
		if prev >= o {
			return a, fmt.Errorf("%w: output list of address %s loops at output %d", ErrCorrupt, addr, o-1)
		}
		o = prev
	}
	a.Balance = a.Received - a.Spent
	root, err := ix.rootOf(id)
	if err != nil {
		return a, err
	}
	a.Cluster, a.Size = root, ix.size.u32(root)
	return a, nil
}

// ClusterOf returns the root and size of id's cluster.
func (ix *Index) ClusterOf(id uint32) (root, size uint32, err error) {
	root, err = ix.rootOf(id)
	if err != nil {
		return 0, 0, err
	}
	return root, ix.size.u32(root), nil
}

// ClusterMembers returns up to limit member address ids of the cluster
// whose root is root, walking its ring of members from the root: time
// proportional to the members returned. A whole cluster comes in id
// order; a cut one is the first limit members of the ring, also sorted.
func (ix *Index) ClusterMembers(root uint32, limit int) ([]uint32, error) {
	n := uint32(ix.addrEnd.len())
	if root >= n {
		return nil, fmt.Errorf("%w: address id %d", ErrNotFound, root)
	}
	size := ix.size.u32(root)
	ids := make([]uint32, 0, min(uint64(limit), uint64(size)))
	for id := root; len(ids) < limit; {
		ids = append(ids, id)
		if id = ix.next.u32(id); id == root {
			break
		}
		if id >= n || uint32(len(ids)) >= size {
			return ids, fmt.Errorf("%w: the member ring of cluster %d is longer than its %d addresses", ErrCorrupt, root, size)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (ix *Index) rootOf(id uint32) (uint32, error) {
	r, ok := cluster.FindReadOnly(sets{ix}, id, maxFind)
	if !ok || uint64(r) >= ix.addrEnd.len() {
		return 0, fmt.Errorf("%w: cluster of address id %d does not end", ErrCorrupt, id)
	}
	return r, nil
}

// Roots calls fn with each address id and the root of its cluster, in id
// order, for whole-index analysis such as measuring precision.
func (ix *Index) Roots(fn func(id, root uint32)) error {
	n := uint32(ix.addrEnd.len())
	for id := range n {
		r, err := ix.rootOf(id)
		if err != nil {
			return err
		}
		fn(id, r)
	}
	return nil
}

// Dir returns the index directory.
func (ix *Index) Dir() string { return filepath.Clean(ix.dir) }

// RefusedMerge is a merge the cluster guard refused, as recorded.
type RefusedMerge struct {
	TxID chainhash.Hash // the transaction whose inputs asked for it
	cluster.Refusal
}

// RefusedMerges returns up to limit recorded refusals, oldest first.
func (ix *Index) RefusedMerges(limit int) []RefusedMerge {
	var out []RefusedMerge
	for i := uint64(0); i < ix.refused.len() && len(out) < limit; i++ {
		rec := ix.refused.at(i)
		u := func(k int) uint32 { return binary.LittleEndian.Uint32(rec[4*k:]) }
		r := RefusedMerge{Refusal: cluster.Refusal{A: u(1), B: u(2), SizeA: u(3), SizeB: u(4), Reason: cluster.Reason(u(5))}}
		if uint64(u(0)) < ix.txs.len() {
			r.TxID = ix.TxID(u(0))
		}
		out = append(out, r)
	}
	return out
}
