// Package chain reads Bitcoin data: serialized blocks, Bitcoin Core block
// files and output scripts, for the forensics engine that indexes them.
//
// It is a domain package: pure functions over bytes and io.Readers. It does
// not open files, talk to nodes, index, cluster or store anything; those are
// the jobs of the packages that use it.
//
// # Blocks
//
// [ParseBlock] (or [Block.Parse], which reuses a Block's memory) walks one
// serialized block without copying it: every script and witness in the
// result, and the Raw bytes of blocks and transactions, are slices of the
// input, so the input must not change while the Block is in use. Inputs
// and outputs of all transactions live in two block-wide slices, so a
// reused Block parses with no allocation at all.
//
// A transaction is, byte by byte (BIP 144 for the witness form):
//
//	version      int32 LE
//	[marker 0x00, flag 0x01]          only when witness data follows
//	input count  varint, then per input:
//	             prev txid (32) | prev index uint32 LE | script (varint len + bytes) | sequence uint32 LE
//	output count varint, then per output:
//	             value int64 LE | script (varint len + bytes)
//	[witnesses]  per input: item count varint, then items (varint len + bytes)
//	locktime     uint32 LE
//
// The txid is double SHA-256 over everything except marker, flag and
// witnesses; the parser feeds those pieces to the hash in place. The wtxid
// ([Tx.WTxID]) hashes the whole transaction and is computed only on demand.
//
// The parser accepts exactly what btcd's wire.MsgBlock.Deserialize accepts
// for blocks of at most [MaxBlockSize] bytes (fuzzed against it): canonical
// varints, the witness flag must be 1, and a witness flag with no witness
// item at all is rejected. It checks syntax, not consensus: no merkle root,
// proof of work, script or value checks. Every count and length read from
// the data is bounded by the bytes that remain before it is used, and errors
// are [*ParseError] values naming the byte offset.
//
// # Block files
//
// [BlockFileReader] reads the blk?????.dat files of Bitcoin Core: per block
// the network magic, a uint32 LE length and the block, blocks in arrival (not
// height) order, zero padding after the last block, and, since Bitcoin Core
// 28, every byte XORed with the 8-byte key of blocks/xor.dat by file offset.
//
// # Scripts and addresses
//
// [ClassifyScript] recognises the standard output script templates and
// [Network.Address] encodes them as addresses (base58check and BIP 173/350
// bech32/bech32m) for mainnet, testnet, signet, regtest and simnet. A P2PK
// output is shown as the P2PKH address of the same key, as block explorers
// do. Encoding uses btcd's btcutil/base58 and btcutil/bech32, HASH160 the
// standard library's SHA-256 and x/crypto's RIPEMD-160. Only the parser is
// written by hand, because btcd's decoder copies every script and allocates
// per input and output, which bulk ingest cannot afford; btcd remains its
// reference in the tests.
package chain
