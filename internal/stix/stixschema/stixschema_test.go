package stixschema_test

import (
	"testing"

	"github.com/entente/entente/internal/stix/stixschema"
)

func TestValidate(t *testing.T) {
	v, err := stixschema.New("../testdata/stix2-json-schemas/schemas")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		raw     string
		wantErr bool
	}{
		{name: "url", raw: `{"type":"url","spec_version":"2.1","id":"url--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"https://x"}`},
		{name: "url without value", raw: `{"type":"url","spec_version":"2.1","id":"url--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`, wantErr: true},
		{name: "custom SCO", raw: `{"type":"x-thing","id":"x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"a"}`},
		{name: "custom SDO without modified", raw: `{"type":"x-thing","spec_version":"2.1","id":"x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z"}`, wantErr: true},
		{name: "not JSON", raw: `{`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := v.Validate([]byte(tt.raw)); (err != nil) != tt.wantErr {
				t.Errorf("Validate = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestNewEmptyDir(t *testing.T) {
	if _, err := stixschema.New(t.TempDir()); err == nil {
		t.Error("New on an empty folder succeeded")
	}
}
