package score

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const header = "address,entity_id,kind,script_type\n"

func TestReadAddresses(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // "addr=entity " per line
		wantErr string
	}{
		{name: "ok", in: header + "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,1203,individual,p2pkh\nbc1qxy,7,exchange,p2wpkh\n",
			want: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2=1203 bc1qxy=7 "},
		{name: "header only", in: header},
		{name: "no trailing newline", in: header + "a,1", want: "a=1 "},
		{name: "empty", in: "", wantErr: "addresses.csv is empty"},
		{name: "wrong header", in: "txid,height,behaviour\n", wantErr: `header field 1 is "txid", want "address"`},
		{name: "short line", in: header + "a\n", wantErr: "line 2: 1 fields"},
		{name: "entity not a number", in: header + "a,x,individual\n", wantErr: `line 2: score: bad truth file: entity_id "x"`},
		{name: "entity too large", in: header + "a,4294967296,individual\n", wantErr: `entity_id "4294967296"`},
		{name: "negative entity", in: header + "a,-1\n", wantErr: `entity_id "-1"`},
		{name: "empty address", in: header + ",1\n", wantErr: `address ""`},
		{name: "line too long", in: header + strings.Repeat("a", maxLine+1) + ",1\n", wantErr: "line 2: longer than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			err := ReadAddresses(strings.NewReader(tt.in), func(a string, e uint32) error {
				fmt.Fprintf(&got, "%s=%d ", a, e)
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrTruth) {
					t.Fatalf("err %v, want ErrTruth containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("got %q, want %q", got.String(), tt.want)
			}
		})
	}
}

func TestReadTxs(t *testing.T) {
	txid := strings.Repeat("ab", 32)
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "ok", in: "txid,height,behaviour,entity_id\n" + txid + ",0,coinjoin,3\n", want: txid + "=coinjoin "},
		{name: "short txid", in: "txid,height,behaviour,entity_id\nab,0,coinjoin,3\n", wantErr: `txid "ab"`},
		{name: "addresses file given", in: header, wantErr: `header field 1 is "address"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			err := ReadTxs(strings.NewReader(tt.in), func(id, b string) error {
				fmt.Fprintf(&got, "%s=%s ", id, b)
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("got %q, %v, want %q", got.String(), err, tt.want)
			}
		})
	}
}

// FuzzReadAddresses: whatever parses writes back to lines that parse to
// the same pairs.
func FuzzReadAddresses(f *testing.F) {
	f.Add([]byte(header + "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,1203,individual,p2pkh\n"))
	f.Add([]byte(header + "a,1\nb,4294967295,x,y,z\n"))
	f.Add([]byte("address,entity_id\r\na,01\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		type pair struct {
			a string
			e uint32
		}
		var first []pair
		err := ReadAddresses(bytes.NewReader(in), func(a string, e uint32) error {
			first = append(first, pair{a, e})
			return nil
		})
		if err != nil {
			return
		}
		var out bytes.Buffer
		out.WriteString("address,entity_id\n")
		for _, p := range first {
			fmt.Fprintf(&out, "%s,%d\n", p.a, p.e)
		}
		var second []pair
		if err := ReadAddresses(&out, func(a string, e uint32) error {
			second = append(second, pair{a, e})
			return nil
		}); err != nil {
			t.Fatalf("re-reading %q: %v", out.String(), err)
		}
		if fmt.Sprint(first) != fmt.Sprint(second) {
			t.Fatalf("round trip changed %v into %v", first, second)
		}
	})
}

func TestReadEntities(t *testing.T) {
	const h = "entity_id,kind,name\n"
	tests := []struct{ name, in, want, wantErr string }{
		{name: "ok", in: h + "1,mining-pool,Granite Pool\n7,exchange,X\n", want: "1=mining-pool 7=exchange "},
		{name: "bad id", in: h + "one,exchange,X\n", wantErr: `entity_id "one"`},
		{name: "no kind", in: h + "1,,X\n", wantErr: `kind ""`},
		{name: "wrong file", in: header, wantErr: `header field 1 is "address"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			err := ReadEntities(strings.NewReader(tt.in), func(e uint32, k string) error {
				fmt.Fprintf(&got, "%d=%s ", e, k)
				return nil
			})
			checkRead(t, got.String(), err, tt.want, tt.wantErr)
		})
	}
}

func TestReadPayments(t *testing.T) {
	const h = "incident_id,operator_id,victim_id,txid,vout,value\n"
	txid := strings.Repeat("ab", 32)
	tests := []struct{ name, in, want, wantErr string }{
		{name: "ok", in: h + "1,20,9142," + txid + ",1,28494709\n", want: "1 " + txid + ":1 28494709\n"},
		{name: "short txid", in: h + "1,20,9142,ab,1,5\n", wantErr: `txid "ab"`},
		{name: "bad vout", in: h + "1,20,9142," + txid + ",-1,5\n", wantErr: `vout "-1"`},
		{name: "zero value", in: h + "1,20,9142," + txid + ",1,0\n", wantErr: `value "0"`},
		{name: "more than all bitcoin", in: h + "1,20,9142," + txid + ",1,2100000000000001\n", wantErr: `value "2100000000000001"`},
		{name: "no incident", in: h + ",20,9142," + txid + ",1,5\n", wantErr: `incident_id ""`},
		{name: "cash-outs given", in: "incident_id,operator_id,exchange_id,txid,vout,value,via_mixer\n", wantErr: `header field 3 is "exchange_id", want "victim_id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			err := ReadPayments(strings.NewReader(tt.in), func(inc, txid string, vout uint32, v int64) error {
				fmt.Fprintf(&got, "%s %s:%d %d\n", inc, txid, vout, v)
				return nil
			})
			checkRead(t, got.String(), err, tt.want, tt.wantErr)
		})
	}
}

func TestReadCashouts(t *testing.T) {
	const h = "incident_id,operator_id,exchange_id,txid,vout,value,via_mixer\n"
	tests := []struct{ name, in, want, wantErr string }{
		{name: "ok", in: h + "1,20,10,x,0,7977845,false\n1,20,11,y,1,3,true\n", want: "1@10 1@11 "},
		{name: "bad exchange", in: h + "1,20,ten,x,0,1,false\n", wantErr: `exchange_id "ten"`},
		{name: "long incident", in: h + strings.Repeat("9", 21) + ",20,10\n", wantErr: "incident_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			err := ReadCashouts(strings.NewReader(tt.in), func(inc string, e uint32) error {
				fmt.Fprintf(&got, "%s@%d ", inc, e)
				return nil
			})
			checkRead(t, got.String(), err, tt.want, tt.wantErr)
		})
	}
}

// FuzzReadPayments: whatever parses writes back to lines that parse to
// the same payments.
func FuzzReadPayments(f *testing.F) {
	const h = "incident_id,operator_id,victim_id,txid,vout,value\n"
	f.Add([]byte(h + "1,20,9142," + strings.Repeat("ab", 32) + ",1,28494709\n"))
	f.Add([]byte(h + "7,1,2," + strings.Repeat("0", 64) + ",4294967295,2100000000000000,extra\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var first, second strings.Builder
		out := func(b *strings.Builder) func(string, string, uint32, int64) error {
			return func(inc, txid string, vout uint32, v int64) error {
				fmt.Fprintf(b, "%s,0,0,%s,%d,%d\n", inc, txid, vout, v)
				return nil
			}
		}
		if err := ReadPayments(bytes.NewReader(in), out(&first)); err != nil {
			return
		}
		if err := ReadPayments(strings.NewReader(h+first.String()), out(&second)); err != nil {
			t.Fatalf("re-reading %q: %v", first.String(), err)
		}
		if first.String() != second.String() {
			t.Fatalf("round trip changed %q into %q", first.String(), second.String())
		}
	})
}

// FuzzReadCashouts: whatever parses writes back to lines that parse to
// the same cash-outs.
func FuzzReadCashouts(f *testing.F) {
	const h = "incident_id,operator_id,exchange_id,txid,vout,value,via_mixer\n"
	f.Add([]byte(h + "1,20,10,x,0,7977845,false\n1,20,11,y,1,3,true\n"))
	f.Add([]byte(h + "9,1,4294967295\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var first, second strings.Builder
		out := func(b *strings.Builder) func(string, uint32) error {
			return func(inc string, e uint32) error {
				fmt.Fprintf(b, "%s,0,%d\n", inc, e)
				return nil
			}
		}
		if err := ReadCashouts(bytes.NewReader(in), out(&first)); err != nil {
			return
		}
		if err := ReadCashouts(strings.NewReader(h+first.String()), out(&second)); err != nil {
			t.Fatalf("re-reading %q: %v", first.String(), err)
		}
		if first.String() != second.String() {
			t.Fatalf("round trip changed %q into %q", first.String(), second.String())
		}
	})
}

// checkRead checks a truth reader's outcome: an ErrTruth naming wantErr, or
// the records it passed on, printed, equal to want.
func checkRead(t *testing.T, got string, err error, want, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) || !errors.Is(err, ErrTruth) {
			t.Fatalf("err %v, want ErrTruth containing %q", err, wantErr)
		}
		return
	}
	if err != nil || got != want {
		t.Fatalf("got %q, %v, want %q", got, err, want)
	}
}
