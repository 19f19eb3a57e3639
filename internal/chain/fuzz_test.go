package chain

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// FuzzParseBlock holds our parser to btcd's decoder: within MaxBlockSize,
// each accepts exactly what the other accepts, with the same txids, inputs
// and outputs; and the transactions' spans rebuild the input exactly.
func FuzzParseBlock(f *testing.F) {
	blocks := fileBlocks(f, readTestdata(f, blocks1256))
	genesis := fileBlocks(f, readTestdata(f, blkFile)[:293])[0]
	for _, b := range [][]byte{genesis, blocks[0], blocks[169], smallSegwitBlock(f), syntheticBlock(), make([]byte, 81)} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		blk, err := ParseBlock(b)
		mb, berr := btcdDecode(b)
		if berr == errBtcdPanic {
			t.Skip("btcd panics")
		}
		switch {
		case err != nil:
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(b) {
				t.Fatalf("error %v is not a *ParseError inside the input", err)
			}
			if berr == nil && len(b) <= MaxBlockSize {
				t.Fatalf("btcd accepts, we reject: %v", err)
			}
			return
		case berr != nil:
			t.Fatalf("we accept, btcd rejects: %v", berr)
		}
		if d := sameAsBtcd(blk, mb); d != "" {
			t.Fatal(d)
		}
		rebuilt := append([]byte{}, b[:HeaderSize]...)
		rebuilt = wireVarInt(rebuilt, uint64(len(blk.Txs)))
		for _, tx := range blk.Txs {
			rebuilt = append(rebuilt, tx.Raw...)
		}
		if !bytes.Equal(rebuilt, b) {
			t.Fatal("transactions do not rebuild the block")
		}
	})
}

// syntheticBlock is a small valid block with the rarer shapes: a witness
// transaction whose first input has no witness and whose second has two
// items, no outputs, and a script with a 3-byte length.
func syntheticBlock() []byte {
	b := make([]byte, HeaderSize)
	b = append(b, 2)
	// A legacy transaction: one input, one output.
	b = append(b, 1, 0, 0, 0, 1)
	b = append(b, make([]byte, 36)...)
	b = append(b, 0xfd, 0xfd, 0x00)
	b = append(b, make([]byte, 0xfd)...)
	b = append(b, 0xff, 0xff, 0xff, 0xff, 1)
	b = binary.LittleEndian.AppendUint64(b, 5000)
	b = append(b, 1, 0x51)
	b = append(b, 0, 0, 0, 0)
	// A witness transaction: two inputs, no outputs.
	b = append(b, 2, 0, 0, 0, 0, 1, 2)
	for i := range 2 {
		b = append(b, make([]byte, 32)...)
		b = append(b, byte(i), 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff)
	}
	b = append(b, 0)                   // outputs
	b = append(b, 0)                   // witness of input 0
	b = append(b, 2, 1, 0xaa, 2, 1, 2) // witness of input 1
	return append(b, 0x10, 0, 0, 0)
}

var errBtcdPanic = errors.New("btcd panicked")

func btcdDecode(b []byte) (mb *wire.MsgBlock, err error) {
	defer func() {
		if recover() != nil {
			mb, err = nil, errBtcdPanic
		}
	}()
	return btcdBlock(b)
}

func wireVarInt(b []byte, v uint64) []byte {
	switch {
	case v < 0xfd:
		return append(b, byte(v))
	case v <= 0xffff:
		return binary.LittleEndian.AppendUint16(append(b, 0xfd), uint16(v))
	case v <= 0xffffffff:
		return binary.LittleEndian.AppendUint32(append(b, 0xfe), uint32(v))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xff), v)
}

// FuzzClassifyScript holds ClassifyScript and Network.Address to btcd's
// txscript where both claim a standard template.
func FuzzClassifyScript(f *testing.F) {
	for _, s := range []string{
		"76a914" + hash20 + "88ac", "a914" + hash20 + "87", "0014" + hash20, "6002751e",
		"512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
		"41" + genesisKey + "ac", "21" + compKey + "ac", "51" + "21" + compKey + "41" + genesisKey + "52ae", "6a0b68656c6c6f",
	} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	n, _ := ParseNetwork("mainnet")
	// Exact agreement on these; P2PK and bare multisig differ by design
	// (ours follows Bitcoin Core: hybrid keys allowed, m <= n required).
	strict := map[txscript.ScriptClass]ScriptClass{
		txscript.PubKeyHashTy: PubKeyHash, txscript.ScriptHashTy: ScriptHash,
		txscript.WitnessV0PubKeyHashTy: WitnessV0PubKeyHash, txscript.WitnessV0ScriptHashTy: WitnessV0ScriptHash,
		txscript.WitnessV1TaprootTy: WitnessV1Taproot,
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		d := ClassifyScript(s)
		addr, err := n.Address(d)
		class, addrs, _, _ := txscript.ExtractPkScriptAddrs(s, &chaincfg.MainNetParams)
		want, isStrict := strict[class]
		switch {
		case isStrict && d.Class != want:
			t.Fatalf("ours %s, btcd %s", d.Class, class)
		case class == txscript.PubKeyTy && d.Class != PubKey:
			t.Fatalf("ours %s, btcd %s", d.Class, class)
		case d.Class == MultiSig && class != txscript.MultiSigTy:
			t.Fatalf("ours %s, btcd %s", d.Class, class)
		case !isStrict && class != txscript.PubKeyTy:
			switch d.Class {
			case PubKeyHash, ScriptHash, WitnessV0PubKeyHash, WitnessV0ScriptHash, WitnessV1Taproot:
				t.Fatalf("ours %s, btcd %s", d.Class, class)
			}
			return
		}
		if d.Class == MultiSig {
			return
		}
		if err != nil {
			t.Fatalf("no address for %s: %v", d.Class, err)
		}
		if len(addrs) == 1 && addrs[0].EncodeAddress() != addr {
			t.Fatalf("address %s, btcd %s", addr, addrs[0].EncodeAddress())
		}
	})
}

// FuzzBlockFileReader: any bytes give records inside the data, io.EOF or a
// *FileError, never a panic.
func FuzzBlockFileReader(f *testing.F) {
	rec := fileBlocks(f, readTestdata(f, blkFile)[:293])[0]
	file := append([]byte{0xf9, 0xbe, 0xb4, 0xd9}, binary.LittleEndian.AppendUint32(nil, uint32(len(rec)))...)
	file = append(file, rec...)
	f.Add(file, uint64(0))
	f.Add(append(bytes.Clone(file), 0, 0, 0, 0), uint64(0x0102030405060708))
	n, _ := ParseNetwork("mainnet")
	f.Fuzz(func(t *testing.T, data []byte, key uint64) {
		cfg := BlockFileConfig{Network: n, XORKey: [8]byte(binary.LittleEndian.AppendUint64(nil, key))}
		fr := NewBlockFileReader(bytes.NewReader(data), cfg)
		for range len(data)/88 + 1 {
			fb, err := fr.Next()
			if err == io.EOF {
				return
			}
			var fe *FileError
			if err != nil {
				if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(data)) {
					t.Fatalf("error %v", err)
				}
				return
			}
			if fb.Offset < 8 || fb.Offset+int64(len(fb.Bytes)) > int64(len(data)) {
				t.Fatalf("record at %d+%d outside %d bytes", fb.Offset, len(fb.Bytes), len(data))
			}
		}
		if _, err := fr.Next(); err != io.EOF {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("reader did not end: %v", err)
			}
		}
	})
}
