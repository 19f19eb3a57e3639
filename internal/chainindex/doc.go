// Package chainindex is Entente's on-disk index of a Bitcoin chain: dense
// integer ids for blocks, transactions, outputs and addresses, each
// output's value, address, creating and spending transaction, each
// address's outputs and wallet cluster, in fixed-width column files read
// through memory maps.
//
// It is storage for the forensics engine, not a node: it checks that
// blocks connect and that inputs spend existing unspent outputs, not
// scripts, signatures or proof of work. Blocks come from Bitcoin Core
// block files ([Index.Ingest]) or one by one ([Index.AddBlock]); clustering
// decisions are internal/cluster's. A reorganisation is undone with
// [Index.Rewind], for up to Config.UndoDepth blocks (default 144); a block
// file whose best chain leaves the index's tip is refused.
//
// # Files
//
// An index is a directory (the node's DIR/chain) of these files, every
// integer little-endian. Ids are record numbers from 0; "id+1" fields
// use 0 for none. Each id space holds at most 2^32-2 entries.
//
//	block.col    40 bytes per block, by height:
//	             hash [32] (internal byte order) | time uint32 | first tx id uint32
//	tx.col       40 bytes per transaction, in chain order:
//	             txid [32] (internal byte order) | first output id uint32 | first input id uint32
//	tx.fp        1 byte per transaction: its wallet fingerprint
//	             (cluster.Fingerprint: version, nLockTime and nSequence
//	             classes, witness)
//	in.col       4 bytes per input, in chain order: spent output id
//	             (ffffffff for a coinbase's input)
//	out.col      16 bytes per output, in chain order:
//	             value int64 | address id uint32 (ffffffff: no address) |
//	             previous output of the same address, id+1 uint32
//	out.spent    4 bytes per output: spending transaction id+1
//	addr.key     address keys back to back: script class (chain.ScriptClass;
//	             P2PK is keyed as the P2PKH of its key) | witness version | hash
//	             or witness program (20, 32 or 2..40 bytes)
//	addr.end     8 bytes per address, in first-seen order: end of its key in
//	             addr.key, uint64 (the key starts where the previous one ends)
//	addr.last    4 bytes per address: its last output, id+1 (the head of the
//	             list linked through out.col's previous-output field)
//	addr.parent  4 bytes per address: union-find parent address id
//	addr.size    4 bytes per address: cluster size (meaningful for roots)
//	addr.next    4 bytes per address: the next member of its cluster, in
//	             a ring (a merge swaps the two roots' next pointers), so
//	             members are listed without scanning every address
//	refused.col  24 bytes per refused merge: tx id | address A | address B |
//	             cluster size of A | of B | reason (1: both above the limit)
//	txid.ht      hash table txid -> tx id; addr.ht: address key -> address id:
//	             "ENTHT002" | slot count uint64 (a power of two) | slots
//	             uint32, id+1, 0 empty | tags, a byte per slot: the top byte
//	             of the key's hash, 0 when empty. SipHash-2-4 of the key with
//	             the checkpoint's seed picks the first slot (its low bits);
//	             linear probing; the load stays at most 3/4. Keys are read
//	             from tx.col or addr.key, only where the tag matches. (Format
//	             ENTHT001 had no tags; a writer rebuilds such a table.)
//	             A table file may lag behind the columns (see the checkpoint).
//	checkpoint   "ENTCKPT4" | generation, blocks, txs, inputs, outputs,
//	             addresses, addr.key bytes, txid table entries, merges,
//	             refused merges, CoinJoins skipped, journal length, txid.ht
//	             complete below tx id, addr.ht complete below address id
//	             (uint64 each) |
//	             seed [16] | network name [32], zero padded | tip hash [32] |
//	             SHA-256 of the journal [32] | SHA-256 of all before [32]
//	journal      "ENTJRNL2" | generation uint64 | update count uint64 |
//	             updates: column (0 out.spent, 1 addr.last, 2 addr.parent,
//	             3 addr.size, 4 addr.next) byte | record id uint32 | new
//	             value uint32 |
//	             undo block count uint64 | undo blocks, oldest first:
//	             block hash [32] | before the block: addresses, addr.key
//	             bytes, refused merges, txid table entries, merges,
//	             CoinJoins skipped (uint64 each) | record count uint64 |
//	             records as the updates, holding the OLD value of each
//	             addr.parent, addr.size or addr.next write the block made
//
// A txid seen twice (two early mainnet coinbases, BIP 30) maps to its first
// transaction. The block of a transaction and the transaction of an output
// are found by binary search on the first-id fields, not stored.
//
// # Worked example
//
// After the mainnet genesis block alone, block.col holds
//
//	6fe28c0a...19000000000000 29ab5f49 00000000
//
// the hash, time 1231006505 and first tx 0; tx.col holds
//
//	3ba3edfd...4b1e5e4a 00000000 00000000
//
// tx.fp 00 (version 1, no lock time, final sequence, no witness); in.col
// ffffffff; out.col 00f2052a01000000 00000000 00000000 (50 BTC to address
// 0, no earlier output of it); out.spent 00000000; addr.key
// 01 00 62e907b15cbf27d5425399ebf6f0fb50ebb88f18 (P2PKH hash of the
// genesis key: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa); addr.end
// 1600000000000000; addr.last 01000000 (output 0); addr.parent 00000000,
// addr.size 01000000 and addr.next 00000000 (its own cluster of one).
//
// # Commits and crashes
//
// Appends and in-place updates stay in memory between commits; the
// column files change only when [Index.Commit] runs (every
// Config.CommitEvery blocks): it appends the new records to every column
// and fsyncs it, writes back the hash tables if due (below), writes the journal of in-place
// updates (temp file, fsync, rename, fsync directory), then the checkpoint
// the same way — the commit point — and only then applies the journal.
// Open cuts every column back to the checkpoint's lengths and replays the
// journal (a crash may have come before it was applied; replaying is
// idempotent).
//
// The hash tables are derived data, written back lazily. A writer holds
// them in anonymous memory (every insert is a store, not a write fault on
// a page the kernel wrote back) and a commit writes their changed pages
// back only when a table grew or lags behind the columns by more than a
// sixteenth of its ids (at least 2^20), and always at the end of an ingest;
// the checkpoint records below which id each table file is complete. Open
// empties every slot naming an id at or past that bound and inserts the
// ids from the bound to the committed count again, in id order. That
// gives exactly the committed table: every table written holds the ids
// below the bound where an uninterrupted writer put them (a slot is
// filled only after every slot of an older id on its probe path, so no
// kept entry sits behind an emptied one), whatever part of a later write
// reached the disk. A table whose size does not match the checkpoint is
// rebuilt from the columns in id order, which gives the same bytes as
// growing it did. So after kill -9 or power loss an ingest resumes at the
// last committed block, with files equal byte for byte to an
// uninterrupted run. A reader lists the ids past the bound, by hash,
// beside the mapped table file, on its first lookup the file does not
// answer.
//
// # Reorganisations
//
// Undoing a block needs little kept aside: its inputs' out.spent marks are
// cleared (in.col names the outputs), its outputs' address list heads are
// set back newest first (each output links to its address's previous
// one), the union-find writes it made (merges and path compression) are
// reversed from the journal's undo records, and every column and hash
// table is cut back to the counts before the block. [Index.Rewind] commits,
// undoes, commits again (the commit point), then scrubs the hash tables,
// which Open would also do; a crash anywhere leaves either the old or the
// new tip, never a mix. The result equals, byte for byte, an index that
// never saw the undone blocks (TestRewind).
//
// # Memory
//
// A writer holds the two hash tables in memory: 5 bytes per slot, 4/3 to
// 8/3 slots per transaction and per address (3.4 GB for 100 million
// transactions of internal/sim's economy, more for the moment a table
// doubles). Besides them only the headers of one Ingest pass grow with
// the chain (about 150 bytes per block in the block files); columns are
// mapped, and uncommitted work is bounded by the commit interval (also
// forced every 500,000 transactions). A reader maps everything.
//
// # Size
//
// On a 10,000,000-transaction economy of internal/sim (2.7 outputs, 2.7
// inputs and 2.1 new addresses per transaction) the index takes 230 bytes
// per transaction: tx.col 40, tx.fp 1, txid.ht 8; outputs 55 (out.col,
// out.spent); inputs 11; addresses 114 (addr.key 47, addr.end 17, list
// head, forest and ring 34, addr.ht 17), the tables at a load of 0.6.
// The economy's fresh address per output makes addresses dominant; the 60
// bytes of the goal would need txids and address keys stored in less
// than their own size. Ingest runs at about 210,000 transactions per
// second on two cores (BENCHMARKS.md).
//
// Everything here is written by hand: no maintained Go library offers a
// crash-safe, memory-mapped column store of a chain.
package chainindex
