package console

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/locale"
)

// FuzzReadFilters: any query gives either errors or filters that pass
// their own checks, never a panic, and no error-free value the API would
// not accept.
func FuzzReadFilters(f *testing.F) {
	for _, s := range []string{"", "outcome=allow", "requesting_state=de&since=2026-11-01", "until=2026-11-22T10:00:00Z",
		"rule=x%27+OR+1%3D1", "page_size=0", "page_token=abc", "lang=fr&x=1", "%zz", "since=2026-02-30"} {
		f.Add(s)
	}
	v := &view{p: locale.For("en")}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest(http.MethodGet, "/console/decisions", nil)
		r.URL.RawQuery = raw
		api, _, errs := readFilters(v, r)
		if len(errs) > 0 {
			return
		}
		for k, vs := range api {
			for _, f := range decisionFilters {
				if f.Name != k {
					continue
				}
				if again, msg := f.Check(vs[0]); msg != "" || again != vs[0] {
					t.Fatalf("%s=%q passed but does not check again: %q %q", k, vs[0], again, msg)
				}
			}
		}
		if _, err := url.ParseQuery(api.Encode()); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzReadEnvelope: any uploaded file is either refused with a message or
// a JSON DSSE envelope with a payload and a signature.
func FuzzReadEnvelope(f *testing.F) {
	f.Add([]byte(`{"payloadType":"t","payload":"e30=","signatures":[{"keyid":"k","sig":"c2ln"}]}`))
	f.Add([]byte(`{"payloadType":"t"}`))
	f.Add([]byte(`{nope`))
	f.Add([]byte{})
	v := &view{p: locale.For("en")}
	f.Fuzz(func(t *testing.T, file []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("envelope", "e.json")
		_, _ = fw.Write(file)
		mw.Close()
		r := httptest.NewRequest(http.MethodPost, "/console/authorizations", &buf)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			return
		}
		env, msg := readEnvelope(v, r, "envelope")
		if msg != "" {
			if env != nil {
				t.Fatal("a refused file came back")
			}
			return
		}
		if env == nil && len(bytes.TrimSpace(file)) > 0 {
			t.Fatal("a file was neither refused nor read")
		}
		if env != nil && !strings.Contains(string(env), "signatures") {
			t.Fatalf("accepted %q", env)
		}
	})
}
