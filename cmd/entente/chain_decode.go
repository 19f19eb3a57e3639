package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/entente/entente/internal/chain"
)

// Evidence files: one block or one transaction handed over on a stick,
// either raw bytes or hex text (what 'bitcoin-cli getblock HASH 0' and
// 'getrawtransaction TXID' print), read by 'chain decode' and by
// 'chain ingest --raw'.

// maxEvidenceFile bounds an evidence file before it is read: a block as
// hex, twice its largest size, with room for line breaks (a line per 64
// digits with CR LF is 1/32 more) and a quoted JSON string.
const maxEvidenceFile = 2*chain.MaxBlockSize + 2*chain.MaxBlockSize/32 + 16

// evidence is the content of one evidence file.
type evidence struct {
	name string
	data []byte // the block or transaction, decoded if the file was hex
	text []byte // the hex text, or nil for a raw file
	// notHex, for a raw file that looks like text, says where it stops
	// being hex: likely a mistyped or annotated hex file.
	notHex string
}

// readEvidence reads an evidence file, bounded, and decodes it if it is
// hex: the whole file, without surrounding whitespace and double quotes,
// is hex digits, possibly broken into lines.
func readEvidence(name string) (*evidence, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > maxEvidenceFile {
		return nil, tooBig(name, st.Size())
	}
	// A device or a pipe has no size to check beforehand.
	b, err := io.ReadAll(io.LimitReader(f, maxEvidenceFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxEvidenceFile {
		return nil, tooBig(name, -1)
	}
	ev := &evidence{name: name, data: b}
	text := bytes.TrimSpace(b)
	if len(text) >= 2 && text[0] == '"' && text[len(text)-1] == '"' {
		text = bytes.TrimSpace(text[1 : len(text)-1])
	}
	digits, isHex := 0, len(text) > 0
	for i, c := range text {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			digits++
		case c == ' ', c == '\t', c == '\n', c == '\r':
		default:
			isHex = false
			if isText(b) {
				// text is a slice of b: their capacities differ by its start.
				ev.notHex = fmt.Sprintf("the file is text, but %q at file offset %d is not a hex digit", c, cap(b)-cap(text)+i)
			}
		}
		if !isHex {
			break
		}
	}
	if !isHex {
		if len(b) > chain.MaxBlockSize {
			return nil, fmt.Errorf("%s: %d bytes, more than a block's largest size of %d bytes", name, len(b), chain.MaxBlockSize)
		}
		return ev, nil
	}
	ev.text = b
	if digits%2 != 0 {
		return nil, fmt.Errorf("%s: file offset %d: truncated hex: an odd number (%d) of hex digits", name, ev.textOffset(digits/2), digits)
	}
	if digits/2 > chain.MaxBlockSize {
		return nil, fmt.Errorf("%s: hex of %d bytes, more than a block's largest size of %d bytes", name, digits/2, chain.MaxBlockSize)
	}
	ev.data = make([]byte, 0, digits/2)
	var pair [2]byte
	n := 0
	for _, c := range text {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		pair[n] = c
		if n++; n == 2 {
			var v [1]byte
			hex.Decode(v[:], pair[:]) // digits checked above
			ev.data = append(ev.data, v[0])
			n = 0
		}
	}
	return ev, nil
}

// isText reports whether the start of b is printable ASCII, which a raw
// block or transaction, starting with a little-endian version, is not.
func isText(b []byte) bool {
	for _, c := range b[:min(len(b), 512)] {
		if (c < ' ' || c > '~') && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// tooBig refuses a file of size bytes, or of more than the bound if size
// is -1 (a pipe).
func tooBig(name string, size int64) error {
	what := fmt.Sprintf("%d bytes, more than", size)
	if size < 0 {
		what = "more than"
	}
	return fmt.Errorf("%s: %s the %d bytes an evidence file may have (a block is at most %d bytes, %d as hex)",
		name, what, maxEvidenceFile, chain.MaxBlockSize, 2*chain.MaxBlockSize)
}

// textOffset returns the offset in the hex file of the first digit of
// decoded byte i, or of the end of the digits.
func (ev *evidence) textOffset(i int) int {
	want, digits := 2*i, 0
	for off, c := range ev.text {
		if c == '"' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if digits == want {
			return off
		}
		digits++
	}
	return len(bytes.TrimRight(ev.text, " \t\r\n\""))
}

// where names a byte offset of the decoded data for an analyst, who may
// open the file in a hex viewer or a text editor.
func (ev *evidence) where(off int) string {
	if ev.text == nil {
		return fmt.Sprintf("offset %d", off)
	}
	return fmt.Sprintf("byte offset %d (file offset %d of the hex)", off, ev.textOffset(off))
}

// parseErr names the file and the offset of a parse error.
func (ev *evidence) parseErr(what string, err error, shift int) error {
	var pe *chain.ParseError
	if errors.As(err, &pe) && ev.notHex != "" {
		return fmt.Errorf("%s: not a %s: %s: %s (%s)", ev.name, what, ev.where(max(pe.Offset-shift, 0)), pe.Reason, ev.notHex)
	}
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: not a %s: %s: %s", ev.name, what, ev.where(max(pe.Offset-shift, 0)), pe.Reason)
	}
	return fmt.Errorf("%s: not a %s: %w", ev.name, what, err)
}

func (ev *evidence) format() string {
	if ev.text != nil {
		return "hex"
	}
	return "raw"
}

// block parses the evidence as a block.
func (ev *evidence) block() (*chain.Block, error) {
	blk, err := chain.ParseBlock(ev.data)
	if err != nil {
		return nil, ev.parseErr("block", err, 0)
	}
	return blk, nil
}

// txPrefix is what tx puts before a transaction: an all-zero header and a
// transaction count of one.
const txPrefix = chain.HeaderSize + 1

// tx parses the evidence as one transaction. internal/chain parses
// transactions only within blocks, so it is given a block of one.
func (ev *evidence) tx() (*chain.Tx, error) {
	b := make([]byte, txPrefix+len(ev.data))
	b[chain.HeaderSize] = 1
	copy(b[txPrefix:], ev.data)
	blk, err := chain.ParseBlock(b)
	var pe *chain.ParseError
	if errors.As(err, &pe) && pe.Offset < txPrefix {
		// The count of the wrapping block was refused: the data is
		// shorter than the smallest transaction.
		err = &chain.ParseError{Offset: len(b), Reason: fmt.Sprintf("%d bytes are too few for a transaction", len(ev.data))}
	}
	if err != nil {
		return nil, ev.parseErr("transaction", err, txPrefix)
	}
	tx := &blk.Txs[0]
	tx.Offset = 0
	return tx, nil
}

func chainDecodeFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	netName := fs.String("network", "mainnet", "network whose address forms to print: mainnet, testnet, signet, regtest or simnet")
	fs.String("config", "", "config file of 'name = value' lines, see 'entente help config'")
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain decode", args, "FILE"); err != nil {
			return err
		}
		net, err := chain.ParseNetwork(*netName)
		if err != nil {
			return usagef("chain decode: --network: %v", err)
		}
		ev, err := readEvidence(args[0])
		if err != nil {
			return fmt.Errorf("chain decode: %w", err)
		}
		d := decoded{File: ev.name, Format: ev.format()}
		blk, berr := ev.block()
		if berr == nil {
			d.Block = decodeBlock(net, blk)
		} else {
			tx, terr := ev.tx()
			if terr != nil {
				return fmt.Errorf("chain decode: neither a block nor a transaction:\n  %v\n  %v", berr, terr)
			}
			t := decodeTx(net, tx)
			d.Tx = &t
		}
		if *asJSON {
			return writeJSON(e.stdout, d)
		}
		d.print(e.stdout)
		return nil
	}
}

// decoded is what 'chain decode' prints: a block or a transaction.
type decoded struct {
	File   string        `json:"file"`
	Format string        `json:"format"` // raw or hex
	Block  *decodedBlock `json:"block,omitempty"`
	Tx     *decodedTx    `json:"transaction,omitempty"`
}

type decodedBlock struct {
	Hash       string      `json:"hash"`
	Version    int32       `json:"version"`
	PrevBlock  string      `json:"previous_block"`
	MerkleRoot string      `json:"merkle_root"`
	Time       time.Time   `json:"time"`
	Bits       string      `json:"bits"`
	Nonce      uint32      `json:"nonce"`
	Size       int         `json:"size"`
	Txs        []decodedTx `json:"transactions"`
}

type decodedTx struct {
	TxID     string          `json:"txid"`
	WTxID    string          `json:"wtxid,omitempty"` // when it differs from the txid
	Version  int32           `json:"version"`
	LockTime uint32          `json:"locktime"`
	Size     int             `json:"size"`
	Inputs   []decodedInput  `json:"inputs"`
	Outputs  []decodedOutput `json:"outputs"`
}

type decodedInput struct {
	Coinbase bool   `json:"coinbase,omitempty"`
	TxID     string `json:"txid,omitempty"` // of the output spent
	Vout     uint32 `json:"vout"`
}

type decodedOutput struct {
	N       int    `json:"n"`
	Value   int64  `json:"value"` // satoshis
	Address string `json:"address,omitempty"`
	Class   string `json:"class"`
}

func decodeBlock(net chain.Network, blk *chain.Block) *decodedBlock {
	h := &blk.Header
	d := &decodedBlock{
		Hash: blk.Hash().String(), Version: h.Version, PrevBlock: h.PrevBlock.String(),
		MerkleRoot: h.MerkleRoot.String(), Time: h.Time(), Bits: fmt.Sprintf("%08x", h.Bits),
		Nonce: h.Nonce, Size: len(blk.Raw), Txs: make([]decodedTx, len(blk.Txs)),
	}
	for i := range blk.Txs {
		d.Txs[i] = decodeTx(net, &blk.Txs[i])
	}
	return d
}

func decodeTx(net chain.Network, tx *chain.Tx) decodedTx {
	d := decodedTx{TxID: tx.TxID.String(), Version: tx.Version, LockTime: tx.LockTime, Size: len(tx.Raw),
		Inputs: make([]decodedInput, len(tx.In)), Outputs: make([]decodedOutput, len(tx.Out))}
	if tx.HasWitness {
		d.WTxID = tx.WTxID().String()
	}
	if tx.IsCoinbase() {
		d.Inputs[0] = decodedInput{Coinbase: true, Vout: tx.In[0].PrevIndex}
	} else {
		for i, in := range tx.In {
			d.Inputs[i] = decodedInput{TxID: in.PrevTxID.String(), Vout: in.PrevIndex}
		}
	}
	for i, out := range tx.Out {
		dest := chain.ClassifyScript(out.Script)
		addr, _ := net.Address(dest) // "" for scripts without an address
		d.Outputs[i] = decodedOutput{N: i, Value: out.Value, Address: addr, Class: dest.Class.String()}
	}
	return d
}

func (d *decoded) print(w io.Writer) {
	if b := d.Block; b != nil {
		fmt.Fprintf(w, "block %s (%s, %d bytes, %d transactions)\n", b.Hash, d.Format, b.Size, len(b.Txs))
		fmt.Fprintf(w, "  version %d, previous %s, merkle root %s, time %s, bits %s, nonce %d\n",
			b.Version, b.PrevBlock, b.MerkleRoot, b.Time.Format(time.RFC3339), b.Bits, b.Nonce)
		for i := range b.Txs {
			b.Txs[i].print(w)
		}
		return
	}
	fmt.Fprintf(w, "transaction (%s, %d bytes)\n", d.Format, d.Tx.Size)
	d.Tx.print(w)
}

func (t *decodedTx) print(w io.Writer) {
	if t.WTxID != "" {
		fmt.Fprintf(w, "tx %s (wtxid %s)\n", t.TxID, t.WTxID)
	} else {
		fmt.Fprintf(w, "tx %s\n", t.TxID)
	}
	for i, in := range t.Inputs {
		if in.Coinbase {
			fmt.Fprintf(w, "  in %d: coinbase\n", i)
		} else {
			fmt.Fprintf(w, "  in %d: %s:%d\n", i, in.TxID, in.Vout)
		}
	}
	for _, out := range t.Outputs {
		addr := out.Address
		if addr == "" {
			addr = "-"
		}
		fmt.Fprintf(w, "  out %d: %d sat %s %s\n", out.N, out.Value, addr, out.Class)
	}
}
