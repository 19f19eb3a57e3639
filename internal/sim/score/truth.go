package score

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxLine bounds one truth line; real ones are under 200 bytes.
const maxLine = 4096

// ErrTruth is wrapped by every error about a malformed truth file.
var ErrTruth = errors.New("score: bad truth file")

// readCSV streams a truth CSV: it checks the header's first fields and
// calls fn with each later line split on commas, stopping at fn's error.
func readCSV(r io.Reader, name string, header []string, fn func(fields []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxLine)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), ",")
		if len(fields) < len(header) {
			return fmt.Errorf("%w: %s line %d: %d fields, want at least %d", ErrTruth, name, line, len(fields), len(header))
		}
		if line == 1 {
			for i, h := range header {
				if fields[i] != h {
					return fmt.Errorf("%w: %s: header field %d is %q, want %q", ErrTruth, name, i+1, fields[i], h)
				}
			}
			continue
		}
		if err := fn(fields); err != nil {
			return fmt.Errorf("%s line %d: %w", name, line, err)
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("%w: %s line %d: longer than %d bytes", ErrTruth, name, line+1, maxLine)
	}
	if sc.Err() != nil {
		return fmt.Errorf("%s: %w", name, sc.Err())
	}
	if line == 0 {
		return fmt.Errorf("%w: %s is empty", ErrTruth, name)
	}
	return nil
}

// ReadAddresses streams truth/addresses.csv (address,entity_id,...) and
// calls fn with each address and its entity.
func ReadAddresses(r io.Reader, fn func(addr string, entity uint32) error) error {
	return readCSV(r, "addresses.csv", []string{"address", "entity_id"}, func(f []string) error {
		if f[0] == "" || len(f[0]) > 100 {
			return fmt.Errorf("%w: address %q", ErrTruth, f[0])
		}
		e, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			return fmt.Errorf("%w: entity_id %q", ErrTruth, f[1])
		}
		return fn(f[0], uint32(e))
	})
}

// ReadTxs streams truth/txs.csv (txid,height,behaviour,entity_id) and calls
// fn with each txid (reversed hex, as written) and behaviour.
func ReadTxs(r io.Reader, fn func(txid, behaviour string) error) error {
	return readCSV(r, "txs.csv", []string{"txid", "height", "behaviour", "entity_id"}, func(f []string) error {
		if len(f[0]) != 64 {
			return fmt.Errorf("%w: txid %q", ErrTruth, f[0])
		}
		return fn(f[0], f[2])
	})
}

// ReadEntities streams truth/entities.csv (entity_id,kind,name) and calls
// fn with each entity and its kind.
func ReadEntities(r io.Reader, fn func(entity uint32, kind string) error) error {
	return readCSV(r, "entities.csv", []string{"entity_id", "kind"}, func(f []string) error {
		e, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil {
			return fmt.Errorf("%w: entity_id %q", ErrTruth, f[0])
		}
		if f[1] == "" || len(f[1]) > 64 {
			return fmt.Errorf("%w: kind %q", ErrTruth, f[1])
		}
		return fn(uint32(e), f[1])
	})
}

// maxValue bounds a truth value: no output holds more than 21 million BTC.
const maxValue = 21_000_000 * 100_000_000

// ReadPayments streams truth/ransom_payments.csv
// (incident_id,operator_id,victim_id,txid,vout,value) and calls fn with
// each payment's incident, paid output and value in satoshis.
func ReadPayments(r io.Reader, fn func(incident, txid string, vout uint32, value int64) error) error {
	return readCSV(r, "ransom_payments.csv", []string{"incident_id", "operator_id", "victim_id", "txid", "vout", "value"}, func(f []string) error {
		if f[0] == "" || len(f[0]) > 20 {
			return fmt.Errorf("%w: incident_id %q", ErrTruth, f[0])
		}
		if len(f[3]) != 64 {
			return fmt.Errorf("%w: txid %q", ErrTruth, f[3])
		}
		vout, err := strconv.ParseUint(f[4], 10, 32)
		if err != nil {
			return fmt.Errorf("%w: vout %q", ErrTruth, f[4])
		}
		v, err := strconv.ParseInt(f[5], 10, 64)
		if err != nil || v <= 0 || v > maxValue {
			return fmt.Errorf("%w: value %q", ErrTruth, f[5])
		}
		return fn(f[0], f[3], uint32(vout), v)
	})
}

// ReadCashouts streams truth/ransom_cashouts.csv
// (incident_id,operator_id,exchange_id,txid,vout,value,via_mixer) and
// calls fn with each cash-out's incident and exchange entity.
func ReadCashouts(r io.Reader, fn func(incident string, exchange uint32) error) error {
	return readCSV(r, "ransom_cashouts.csv", []string{"incident_id", "operator_id", "exchange_id"}, func(f []string) error {
		if f[0] == "" || len(f[0]) > 20 {
			return fmt.Errorf("%w: incident_id %q", ErrTruth, f[0])
		}
		e, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return fmt.Errorf("%w: exchange_id %q", ErrTruth, f[2])
		}
		return fn(f[0], uint32(e))
	})
}
