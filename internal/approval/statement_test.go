package approval_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/approval"
)

const validStatement = `{"id":"apr-0123456789abcdef0123456789abcdef","outcome":"approved","approver":"acme-fr","requester":"vendor-x",
"dataset":"crm-fr","action":"modify","purpose":"maintenance","categories":["personal.contact"],"measures":["customer-approval"],
"request_index":8,"issued":"2026-12-01T10:00:00Z","expires":"2026-12-01T12:00:00Z"}`

// TestParseStatement: a statement is decoded strictly and each broken
// rule is named.
func TestParseStatement(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"valid", validStatement, ""},
		{"unknown field", strings.Replace(validStatement, `"id"`, `"extra":1,"id"`, 1), `unknown field "extra"`},
		{"trailing data", validStatement + "{}", "data after the statement"},
		{"not json", "{", "at byte"},
		{"self-approval", strings.Replace(validStatement, `"approver":"acme-fr"`, `"approver":"vendor-x"`, 1), "is the requester"},
		{"bad outcome", strings.Replace(validStatement, `"approved"`, `"maybe"`, 1), `outcome "maybe"`},
		{"expiry before issue", strings.Replace(validStatement, `12:00:00Z`, `09:00:00Z`, 1), "expires after issued"},
		{"too long", strings.Replace(validStatement, `2026-12-01T12:00:00Z`, `2027-01-01T12:00:00Z`, 1), "more than"},
		{"denial with expiry", strings.Replace(validStatement, `"approved"`, `"denied"`, 1), "a denial has no expiry"},
		{"no measures", strings.Replace(validStatement, `["customer-approval"]`, `[]`, 1), "measures is empty"},
		{"bad id", strings.Replace(validStatement, `apr-0123`, `dec-0123`, 1), "want apr-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := approval.ParseStatement([]byte(tt.doc))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ParseStatement: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ParseStatement = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestVerifyRefuses: an envelope of another payload type, or whose
// payload was changed after signing, does not verify.
func TestVerifyRefuses(t *testing.T) {
	forEachStore(t, func(t *testing.T, w *world) {
		r := w.approve(t, w.ask(t, request()), time.Hour)
		env := r.Answer.Envelope
		other := env
		other.PayloadType = "application/vnd.accord.authorization+json"
		if _, _, err := approval.Verify(context.Background(), other, w.svc.PublicKey()); err == nil {
			t.Error("an envelope of another payload type verified")
		}
		raw, _ := base64.StdEncoding.DecodeString(env.Payload)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		m["requester"] = "vendor-y"
		changed, _ := json.Marshal(m)
		forged := env
		forged.Payload = base64.StdEncoding.EncodeToString(changed)
		if _, _, err := approval.Verify(context.Background(), forged, w.svc.PublicKey()); err == nil {
			t.Error("a changed payload verified")
		}
	})
}

// FuzzParseStatement: no input makes the parser panic, and what it
// accepts validates and encodes back to a statement it accepts again.
func FuzzParseStatement(f *testing.F) {
	f.Add([]byte(validStatement))
	f.Add([]byte(strings.Replace(validStatement, `"approved"`, `"denied"`, 1)))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := approval.ParseStatement(data)
		if err != nil {
			return
		}
		if err := st.Validate(); err != nil {
			t.Fatalf("accepted a statement that does not validate: %v", err)
		}
		again, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := approval.ParseStatement(again); err != nil {
			t.Fatalf("re-encoded statement refused: %v\n%s", err, again)
		}
	})
}
