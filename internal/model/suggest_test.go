package model

import (
	"strings"
	"testing"
)

// TestDecodeRequestSuggestsField checks that an unknown field's error
// names the path and the known field it most likely meant.
func TestDecodeRequestSuggestsField(t *testing.T) {
	_, err := DecodeRequest([]byte(`{"action":"access","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"},"destnation":"US"}`), nil)
	if err == nil || !strings.Contains(err.Error(), "destnation") || !strings.Contains(err.Error(), `did you mean "destination"`) {
		t.Fatalf("got %v, want the path and a suggestion of destination", err)
	}
}

// TestDecodeRequestJurisdictionHint checks that a common non-ISO code says
// which code to use.
func TestDecodeRequestJurisdictionHint(t *testing.T) {
	_, err := DecodeRequest([]byte(`{"action":"access","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"UK"}}`), fakeJurisdictions{"FR": true, "GB": true})
	if err == nil || !strings.Contains(err.Error(), "data.location") || !strings.Contains(err.Error(), "use GB") {
		t.Fatalf("got %v, want data.location and a hint to use GB", err)
	}
}
