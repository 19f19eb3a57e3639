package cluster

// Fingerprint packs the habits of the wallet program that built a
// transaction into one byte: its version, how it set nLockTime and
// nSequence, and whether it carries witness data. Two transactions of one
// wallet share them; a payment's recipient often runs another program, so
// change heuristics compare the fingerprint of the transaction that later
// spends each output with the fingerprint of the one that made it (see
// Erhardt's "Wallet fingerprints" and 0xB10C's notes on nLockTime).
//
//	bits 0-1  version: 0 one, 1 two, 2 any other
//	bits 2-3  nLockTime: 0 zero, 1 a height within LockNear blocks below the
//	          block that holds it (anti fee sniping), 2 another height,
//	          3 a time
//	bits 4-5  nSequence: 0 all final (ffffffff), 1 all ffffffe (locktime
//	          on, no replace-by-fee), 2 one or more below ffffffe (BIP 125
//	          replace-by-fee), 3 a mix of the first two
//	bit 6     witness data present
//	bit 7     zero
type Fingerprint uint8

// LockNear is how far below its block a height nLockTime may be and still
// count as anti fee sniping: Bitcoin Core sets the tip height, and one
// time in ten up to 100 blocks less.
const LockNear = 100

// Sequence classes of a transaction's inputs, bits 4-5 of a Fingerprint.
const (
	SeqFinal  = 0
	SeqLock   = 1
	SeqRBF    = 2
	SeqMixed  = 3
	seqUnseen = 4
)

// SeqClass folds one more input's nSequence into the class of those
// before it; start from SeqStart.
func SeqClass(class uint8, seq uint32) uint8 {
	var c uint8
	switch {
	case seq == 0xffffffff:
		c = SeqFinal
	case seq == 0xfffffffe:
		c = SeqLock
	default:
		return SeqRBF
	}
	switch class {
	case seqUnseen, c:
		return c
	case SeqRBF:
		return SeqRBF
	}
	return SeqMixed
}

// SeqStart is the class of a transaction before any input is seen.
const SeqStart uint8 = seqUnseen

// MakeFingerprint builds the fingerprint of a transaction at block height
// height, whose inputs' nSequence fold to seqClass.
func MakeFingerprint(version int32, lockTime, height uint32, seqClass uint8, witness bool) Fingerprint {
	var f Fingerprint
	switch version {
	case 1:
	case 2:
		f = 1
	default:
		f = 2
	}
	switch {
	case lockTime == 0:
	case lockTime >= 500_000_000:
		f |= 3 << 2
	case lockTime <= height && height-lockTime <= LockNear:
		f |= 1 << 2
	default:
		f |= 2 << 2
	}
	if seqClass == seqUnseen {
		seqClass = SeqFinal
	}
	f |= Fingerprint(seqClass&3) << 4
	if witness {
		f |= 1 << 6
	}
	return f
}

// Version returns the version class (bits 0-1).
func (f Fingerprint) Version() uint8 { return uint8(f) & 3 }

// LockTime returns the nLockTime class (bits 2-3).
func (f Fingerprint) LockTime() uint8 { return uint8(f>>2) & 3 }

// Sequence returns the nSequence class (bits 4-5).
func (f Fingerprint) Sequence() uint8 { return uint8(f>>4) & 3 }

// Witness reports bit 6.
func (f Fingerprint) Witness() bool { return f&(1<<6) != 0 }
