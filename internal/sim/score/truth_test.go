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
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrTruth) {
					t.Fatalf("err %v, want ErrTruth containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("got %q, %v, want %q", got.String(), err, tt.want)
			}
		})
	}
}
