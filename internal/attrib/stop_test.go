package attrib

import (
	"errors"
	"slices"
	"testing"
)

func TestStrongest(t *testing.T) {
	ids := map[string]uint32{"a": 1, "b": 2}
	lookup := func(s string) (uint32, error) {
		if id, ok := ids[s]; ok {
			return id, nil
		}
		return 0, errors.New("unknown")
	}
	tags := []Tag{
		{Address: "a", Category: Exchange, Actor: "low", Confidence: 10},
		{Address: "a", Category: Exchange, Actor: "high", Confidence: 90},
		{Address: "a", Category: Exchange, Actor: "equal", Confidence: 90},
		{Address: "b", Category: Ransomware, Actor: "gang", Confidence: 100},
		{Address: "z", Category: Exchange, Actor: "nowhere", Confidence: 100},
	}
	want, err := ParseCategories("exchange, mixer")
	if err != nil {
		t.Fatal(err)
	}
	got := Strongest(slices.Values(tags), want, lookup)
	if len(got) != 1 || got[1].Entity() != "high" {
		t.Errorf("Strongest = %v, want only address 1 as high", got)
	}
	if _, err := ParseCategories("exchange,nonsense"); err == nil {
		t.Error("ParseCategories accepted an unknown category")
	}
}

func TestEntity(t *testing.T) {
	tests := []struct {
		tag  Tag
		want string
	}{
		{Tag{Actor: "x", Label: "y", Category: Exchange}, "x"},
		{Tag{Label: "y", Category: Exchange}, "y"},
		{Tag{Category: Exchange}, "exchange"},
	}
	for _, tt := range tests {
		if got := tt.tag.Entity(); got != tt.want {
			t.Errorf("%+v.Entity() = %q, want %q", tt.tag, got, tt.want)
		}
	}
}
