package sim

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Behaviour is what a transaction was made for, as written to truth/txs.csv.
type Behaviour uint8

const (
	Payment         Behaviour = iota // an individual pays another, a service or a deposit address
	Consolidation                    // one owner merges its own outputs
	BatchWithdrawal                  // a service pays many customers at once
	DepositSweep                     // a service moves deposit addresses into its hot wallet
	ColdStorage                      // an exchange moves funds between hot and cold wallets
	CoinJoin                         // a Wasabi-like round or a Whirlpool 5-in-5-out mix
	WhirlpoolTx0                     // a Whirlpool premix split paying the coordinator fee
	PeelHop                          // a ransomware operator's peel chain step
	RansomPayment                    // a victim pays the ransom
	CashOut                          // a ransomware operator pays an exchange deposit address
	Mining                           // a coinbase, or a pool paying its miners
	Mixer                            // a deposit into or a payout from the custodial mixer
	CoinJoinRemix                    // a Whirlpool mix with at least one post-mix output remixing
)

var behaviourNames = [...]string{
	"payment", "consolidation", "batch-withdrawal", "deposit-sweep", "cold-storage",
	"coinjoin", "whirlpool-tx0", "peel-hop", "ransom-payment", "cash-out", "mining", "mixer",
	"coinjoin-remix",
}

func (b Behaviour) String() string { return behaviourNames[b] }

// Kind is the kind of an entity in truth/entities.csv.
type Kind uint8

const (
	Individual Kind = iota
	Exchange
	Market
	MixerService
	MiningPool
	Coordinator // a CoinJoin coordinator, which only receives fees
	Ransomware
	Founder // the owner of the genesis output, never spent
)

var kindNames = [...]string{"individual", "exchange", "market", "mixer", "mining-pool", "coinjoin-coordinator", "ransomware", "founder"}

func (k Kind) String() string { return kindNames[k] }

// entity is one owner of addresses.
type entity struct {
	id   uint32
	kind Kind
	name string
	tags *tagWriter // nil for entities nobody tags
}

// csvFile is an append-only CSV file whose fields never need quoting.
type csvFile struct {
	f   *os.File
	w   *bufio.Writer
	row []byte
}

func createCSV(dir, name, header string) (*csvFile, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	c := &csvFile{f: f, w: bufio.NewWriterSize(f, 1<<18)}
	c.w.WriteString(header + "\n")
	return c, nil
}

func (c *csvFile) close() error {
	err := c.w.Flush()
	return errors.Join(err, c.f.Close())
}

// truth writes the ground-truth files described in the package doc.
type truth struct {
	entities, addresses, txs, payments, cashouts *csvFile
}

func createTruth(dir string) (*truth, error) {
	t := &truth{}
	var err error
	open := func(dst **csvFile, name, header string) {
		if err == nil {
			*dst, err = createCSV(dir, name, header)
		}
	}
	open(&t.entities, "entities.csv", "entity_id,kind,name")
	open(&t.addresses, "addresses.csv", "address,entity_id,kind,script_type")
	open(&t.txs, "txs.csv", "txid,height,behaviour,entity_id")
	open(&t.payments, "ransom_payments.csv", "incident_id,operator_id,victim_id,txid,vout,value")
	open(&t.cashouts, "ransom_cashouts.csv", "incident_id,operator_id,exchange_id,txid,vout,value,via_mixer")
	if err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func (t *truth) close() error {
	var errs []error
	for _, c := range []*csvFile{t.entities, t.addresses, t.txs, t.payments, t.cashouts} {
		if c != nil {
			errs = append(errs, c.close())
		}
	}
	return errors.Join(errs...)
}

func (t *truth) entity(e *entity) {
	c := t.entities
	c.row = strconv.AppendUint(c.row[:0], uint64(e.id), 10)
	c.row = append(c.row, ',')
	c.row = append(c.row, e.kind.String()...)
	c.row = append(c.row, ',')
	c.row = append(c.row, e.name...)
	c.w.Write(append(c.row, '\n'))
}

func (t *truth) address(addr string, e *entity, typ scriptType) {
	c := t.addresses
	c.row = append(c.row[:0], addr...)
	c.row = append(c.row, ',')
	c.row = strconv.AppendUint(c.row, uint64(e.id), 10)
	c.row = append(c.row, ',')
	c.row = append(c.row, e.kind.String()...)
	c.row = append(c.row, ',')
	c.row = append(c.row, typ.String()...)
	c.w.Write(append(c.row, '\n'))
}

func (t *truth) tx(id *chainhash.Hash, height int32, b Behaviour, e *entity) {
	c := t.txs
	c.row = append(c.row[:0], id.String()...)
	c.row = append(c.row, ',')
	c.row = strconv.AppendInt(c.row, int64(height), 10)
	c.row = append(c.row, ',')
	c.row = append(c.row, b.String()...)
	c.row = append(c.row, ',')
	c.row = strconv.AppendUint(c.row, uint64(e.id), 10)
	c.w.Write(append(c.row, '\n'))
}

func (t *truth) payment(inc *incident, id *chainhash.Hash, vout uint32, value int64) {
	fmt.Fprintf(t.payments.w, "%d,%d,%d,%s,%d,%d\n", inc.id, inc.op.ent.id, inc.victim.ent.id, id, vout, value)
}

func (t *truth) cashout(inc *incident, ex *entity, id *chainhash.Hash, vout uint32, value int64, viaMixer bool) {
	fmt.Fprintf(t.cashouts.w, "%d,%d,%d,%s,%d,%d,%t\n", inc.id, inc.op.ent.id, ex.id, id, vout, value, viaMixer)
}

// tagWriter streams one GraphSense TagPack: the header, then one tag per
// address as the address is made.
type tagWriter struct {
	f *os.File
	w *bufio.Writer
}

// tagHeader is the TagPack header; every tag inherits its fields.
type tagHeader struct {
	title, category, label, actor, source, lastmod string
}

func createTagPack(dir, file string, h tagHeader) (*tagWriter, error) {
	f, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "title: %s\ncreator: entente sim\nconfidence: service_data\ndescription: Addresses of %s in a synthetic economy\n", h.title, h.label)
	fmt.Fprintf(w, "category: %s\ncurrency: BTC\nlabel: %s\nis_cluster_definer: true\nlastmod: %s\nsource: %s\nactor: %s\ntags:\n",
		h.category, h.label, h.lastmod, h.source, h.actor)
	return &tagWriter{f: f, w: w}, nil
}

func (t *tagWriter) tag(addr string) {
	t.w.WriteString("- address: ")
	t.w.WriteString(addr)
	t.w.WriteByte('\n')
}

func (t *tagWriter) close() error {
	err := t.w.Flush()
	return errors.Join(err, t.f.Close())
}
