package authz

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/model"
)

// testKey derives a deterministic key from a name, so signatures in tests
// and golden files do not change from run to run.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("accord test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// testWorld is the registry the tests verify against.
func testWorld() KeySet {
	ks := KeySet{}
	for _, a := range []AuthorityKey{
		{ID: "fr-mj", Jurisdiction: "FR", Role: "central-authority"},
		{ID: "fr-cnil", Jurisdiction: "FR", Role: "data-protection"},
		{ID: "fr-court", Jurisdiction: "FR", Role: "judicial"},
		{ID: "de-bmj", Jurisdiction: "DE", Role: "central-authority"},
	} {
		a.PublicKey = testKey(a.ID).Public().(ed25519.PublicKey)
		ks[a.ID] = a
	}
	return ks
}

func baseStatement() *Statement {
	return &Statement{
		ID:                 "FR-MJ-2026-0001",
		Type:               TypeAuthorization,
		Issuer:             "fr-mj",
		IssuerJurisdiction: "FR",
		Grantee:            "de-bka",
		Scope: &Scope{
			Datasets:      []string{"crm-eu"},
			Selectors:     &SelectorScope{Kind: model.SelectorSpecific, Count: 5},
			Purposes:      []string{"law-enforcement"},
			Categories:    []string{"personal.contact"},
			MaxSubjects:   100,
			MaxRecords:    1000,
			SubjectStates: []string{"FR"},
		},
		ValidFrom: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		ValidTo:   time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	}
}

func baseRequest() *model.Request {
	return &model.Request{
		Action:    model.ActionAccess,
		Requester: model.Principal{ID: "de-bka", Kind: model.KindStateAuthority, Role: "law-enforcement", Jurisdiction: "DE"},
		Data: model.Data{
			Dataset:    "crm-eu",
			Location:   "FR",
			Categories: []string{"personal.contact"},
			Subjects:   map[string]int64{"FR": 12, "BE": 1},
			Records:    13,
		},
		Purpose:   model.PurposeLawEnforcement,
		Selectors: model.Selectors{Kind: model.SelectorSpecific, Count: 1},
		Basis:     model.Basis{Kind: "mla", Ref: "MLA-2026-0042"},
		Time:      time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
}

func mustSign(t testing.TB, st *Statement, signer string) model.Envelope {
	t.Helper()
	env, err := Sign(context.Background(), st, testKey(signer))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return env
}

func TestSignOpen(t *testing.T) {
	keys := testWorld()
	env := mustSign(t, baseStatement(), "fr-mj")
	v, err := Open(context.Background(), env, keys)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if v.Statement.ID != "FR-MJ-2026-0001" || v.Authority.ID != "fr-mj" {
		t.Errorf("opened %+v", v)
	}
	wantID, _ := KeyID(keys["fr-mj"].PublicKey)
	if v.KeyID != wantID || env.Signatures[0].KeyID != wantID {
		t.Errorf("key id = %q / %q, want %q", v.KeyID, env.Signatures[0].KeyID, wantID)
	}
	if len(v.Digest) != 64 {
		t.Errorf("digest %q", v.Digest)
	}
}

func TestOpenRejects(t *testing.T) {
	keys := testWorld()
	good := mustSign(t, baseStatement(), "fr-mj")

	tampered := good
	payload, _ := base64.StdEncoding.DecodeString(good.Payload)
	tampered.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"max_subjects":100`, `"max_subjects":100000`, 1)))

	otherType := good
	otherType.PayloadType = "application/vnd.in-toto+json"

	noSig := good
	noSig.Signatures = nil

	// A statement naming fr-mj as issuer but signed with de-bmj's key.
	forged := mustSign(t, baseStatement(), "de-bmj")

	unknown := baseStatement()
	unknown.Issuer = "xx-nobody"

	badPayload := good
	badPayload.Payload = base64.StdEncoding.EncodeToString([]byte(`{"id":"A"}`))

	tests := []struct {
		name string
		env  model.Envelope
		want error
		text string
	}{
		{"tampered payload", tampered, ErrSignature, ""},
		{"payload type", otherType, ErrPayloadType, ""},
		{"no signature", noSig, nil, "signatures: must hold at least one signature"},
		{"signed with another key", forged, ErrSignature, ""},
		{"unknown issuer", mustSign(t, unknown, "fr-mj"), ErrUnknownIssuer, ""},
		{"invalid statement", badPayload, nil, "payload: issuer: must be an authority id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Open(context.Background(), tt.env, keys)
			if err == nil {
				t.Fatalf("Open accepted it: %+v", v.Statement)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if tt.text != "" && !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not contain %q", err, tt.text)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	keys := testWorld()
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

	var revs Revocations
	rev := &Statement{ID: "FR-MJ-2026-0001-R", Type: TypeRevocation, Issuer: "fr-mj", IssuerJurisdiction: "FR", Revokes: "FR-MJ-2026-0001", ValidFrom: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	v, err := Open(context.Background(), mustSign(t, rev, "fr-mj"), keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := revs.Add(v); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		stmt     func(*Statement)
		signer   string
		req      func(*model.Request)
		at       time.Time
		revoked  RevocationSet
		want     []string // authorized states
		findings []string // exact messages
	}{
		{name: "covers", want: []string{"FR"}},
		{name: "valid_from is inclusive", at: from, want: []string{"FR"}},
		{name: "one nanosecond before valid_from", at: from.Add(-time.Nanosecond),
			findings: []string{"authorization FR-MJ-2026-0001 from FR is not valid before 2026-11-01T00:00:00Z"}},
		{name: "last nanosecond before valid_to", at: to.Add(-time.Nanosecond), want: []string{"FR"}},
		{name: "valid_to is exclusive", at: to,
			findings: []string{"authorization FR-MJ-2026-0001 from FR expired at 2026-12-01T00:00:00Z"}},
		{name: "replayed by another requester",
			req:      func(r *model.Request) { r.Requester.ID = "us-fbi"; r.Requester.Jurisdiction = "US" },
			findings: []string{"authorization FR-MJ-2026-0001 from FR is granted to de-bka, not to the requester us-fbi"}},
		{name: "provider acting for the grantee",
			req: func(r *model.Request) {
				r.OnBehalfOf = &model.Principal{ID: "de-bka", Kind: model.KindStateAuthority, Jurisdiction: "DE"}
				r.Requester = model.Principal{ID: "mailco", Kind: model.KindCompany, Jurisdiction: "FR"}
			},
			want: []string{"FR"}},
		{name: "revoked", revoked: &revs,
			findings: []string{"authorization FR-MJ-2026-0001 from FR was revoked by FR-MJ-2026-0001-R from 2026-11-20T00:00:00Z"}},
		{name: "revoked later than the access", revoked: &revs, at: time.Date(2026, 11, 19, 23, 59, 59, 0, time.UTC), want: []string{"FR"}},
		{name: "authority signing for another state",
			stmt:     func(s *Statement) { s.Issuer = "de-bmj" },
			signer:   "de-bmj",
			findings: []string{"authorization FR-MJ-2026-0001 is issued by de-bmj, an authority of DE, not FR"}},
		{name: "role may not grant the purpose",
			stmt:     func(s *Statement) { s.Issuer = "fr-cnil" },
			signer:   "fr-cnil",
			findings: []string{`authorization FR-MJ-2026-0001 from FR is issued by fr-cnil, whose role "data-protection" may not grant law-enforcement`}},
		{name: "judicial authority", stmt: func(s *Statement) { s.Issuer = "fr-court" }, signer: "fr-court", want: []string{"FR"}},
		{name: "too many subjects",
			req:      func(r *model.Request) { r.Data.Subjects = map[string]int64{"FR": 250, "BE": 1000} },
			findings: []string{"authorization FR-MJ-2026-0001 from FR covers 100 subjects of FR, request has 250"}},
		{name: "too many subjects, any state",
			stmt:     func(s *Statement) { s.Scope.SubjectStates = nil },
			req:      func(r *model.Request) { r.Data.Subjects = map[string]int64{"FR": 200, "BE": 50} },
			findings: []string{"authorization FR-MJ-2026-0001 from FR covers 100 subjects, request has 250"}},
		{name: "scope too narrow everywhere",
			req: func(r *model.Request) {
				r.Purpose = model.PurposeNationalSecurity
				r.Data.Dataset = "hr-eu"
				r.Data.Categories = []string{"personal.contact", "personal.health"}
				r.Selectors = model.Selectors{Kind: model.SelectorBulk, Count: 6}
				r.Data.Records = 1001
			},
			findings: []string{
				`authorization FR-MJ-2026-0001 from FR is issued by fr-mj, whose role "central-authority" may not grant national-security`,
				"authorization FR-MJ-2026-0001 from FR covers purposes law-enforcement, not national-security",
				"authorization FR-MJ-2026-0001 from FR covers categories personal.contact, not personal.health",
				"authorization FR-MJ-2026-0001 from FR covers datasets crm-eu, not hr-eu",
				"authorization FR-MJ-2026-0001 from FR covers specific selectors only, request is bulk",
				"authorization FR-MJ-2026-0001 from FR covers 5 selectors, request has 6",
				"authorization FR-MJ-2026-0001 from FR covers 1000 records, request has 1001",
			}},
		{name: "parent category covers child",
			stmt: func(s *Statement) { s.Scope.Categories = []string{"personal"} },
			req: func(r *model.Request) {
				r.Data.Categories = []string{"personal.contact", "personal.geolocation.precise"}
			},
			want: []string{"FR"}},
		{name: "sibling prefix is not a child",
			stmt:     func(s *Statement) { s.Scope.Categories = []string{"personal.geolocation"} },
			req:      func(r *model.Request) { r.Data.Categories = []string{"personal.geolocationx"} },
			findings: []string{"authorization FR-MJ-2026-0001 from FR covers categories personal.geolocation, not personal.geolocationx"}},
		{name: "no dataset named",
			req:      func(r *model.Request) { r.Data.Dataset = "" },
			findings: []string{"authorization FR-MJ-2026-0001 from FR covers datasets crm-eu, request names no dataset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, got, findings := evaluateChanged(t, keys, tt.stmt, tt.signer, tt.req, tt.revoked, tt.at)
			if !slices.Equal(got, tt.want) {
				t.Errorf("authorized = %v, want %v", got, tt.want)
			}
			var msgs []string
			for _, f := range findings {
				msgs = append(msgs, f.Message)
				if f.Authorization != st.ID || f.State != "FR" || f.Check == "" {
					t.Errorf("finding %+v does not name the authorization, state and check", f)
				}
			}
			if !slices.Equal(msgs, tt.findings) {
				t.Errorf("findings:\n got %q\nwant %q", msgs, tt.findings)
			}
		})
	}
}

// evaluateChanged evaluates baseRequest, changed by req, against
// baseStatement, changed by stmt and signed by signer (fr-mj when ""),
// with revoked, at at (the request's time when zero); nil changes leave
// the base as it is. It returns the statement and what Evaluate found.
func evaluateChanged(t *testing.T, keys Keys, stmt func(*Statement), signer string, req func(*model.Request), revoked RevocationSet, at time.Time) (*Statement, []string, []Finding) {
	t.Helper()
	st := baseStatement()
	if stmt != nil {
		stmt(st)
	}
	if signer == "" {
		signer = "fr-mj"
	}
	r := baseRequest()
	if req != nil {
		req(r)
	}
	if at.IsZero() {
		at = r.Time
	}
	authorized, findings, err := Evaluate([]model.Envelope{mustSign(t, st, signer)}, r, keys, revoked, at)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return st, authorized, findings
}

func TestEvaluateSeveral(t *testing.T) {
	keys := testWorld()
	req := baseRequest()
	expired := baseStatement()
	expired.ID = "FR-MJ-2026-0000"
	expired.ValidTo = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	de := baseStatement()
	de.ID, de.Issuer, de.IssuerJurisdiction = "DE-BMJ-1", "de-bmj", "DE"
	envs := []model.Envelope{mustSign(t, expired, "fr-mj"), mustSign(t, de, "de-bmj"), mustSign(t, baseStatement(), "fr-mj")}
	got, findings, err := Evaluate(envs, req, keys, nil, req.Time)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"DE", "FR"}) {
		t.Errorf("authorized = %v, want [DE FR]", got)
	}
	if len(findings) != 1 || findings[0].Check != CheckExpired || findings[0].Authorization != "FR-MJ-2026-0000" {
		t.Errorf("findings = %+v, want the one expiry", findings)
	}
	if m := Messages(findings, "FR"); !strings.Contains(m, "expired at 2026-11-02T00:00:00Z") {
		t.Errorf("Messages = %q", m)
	}
}

func TestEvaluateBadInput(t *testing.T) {
	keys := testWorld()
	req := baseRequest()
	good := mustSign(t, baseStatement(), "fr-mj")
	broken := good
	broken.Signatures = []model.Signature{{Sig: base64.StdEncoding.EncodeToString(make([]byte, 64))}}
	rev := mustSign(t, &Statement{ID: "R-1", Type: TypeRevocation, Issuer: "fr-mj", IssuerJurisdiction: "FR", Revokes: "A-1", ValidFrom: req.Time}, "fr-mj")
	tests := []struct {
		name string
		envs []model.Envelope
		want string
	}{
		{"bad signature second", []model.Envelope{good, broken}, "basis.authorizations[1]: statement FR-MJ-2026-0001: issuer \"fr-mj\": signature does not verify with the issuer's key"},
		{"revocation given as authorization", []model.Envelope{rev}, "basis.authorizations[0]: statement R-1 is a revocation, not an authorization"},
		{"garbage payload", []model.Envelope{{PayloadType: PayloadType, Payload: "!!", Signatures: good.Signatures}}, "basis.authorizations[0]: payload: is not standard base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, findings, err := Evaluate(tt.envs, req, keys, nil, req.Time)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
			if got != nil || findings != nil {
				t.Errorf("result with an error: %v %v", got, findings)
			}
		})
	}
}

func TestRevocationsAdd(t *testing.T) {
	keys := testWorld()
	// A DE authority cannot revoke in the name of FR.
	st := &Statement{ID: "R-1", Type: TypeRevocation, Issuer: "de-bmj", IssuerJurisdiction: "FR", Revokes: "FR-MJ-2026-0001", ValidFrom: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	v, err := Open(context.Background(), mustSign(t, st, "de-bmj"), keys)
	if err != nil {
		t.Fatal(err)
	}
	var revs Revocations
	if err := revs.Add(v); err == nil {
		t.Error("accepted a revocation signed for another state")
	}
	if _, ok := revs.Revocation("FR-MJ-2026-0001", "FR"); ok {
		t.Error("refused revocation was recorded")
	}
	// A DE revocation of an id FR issued does not touch FR's authorization.
	st2 := &Statement{ID: "R-2", Type: TypeRevocation, Issuer: "de-bmj", IssuerJurisdiction: "DE", Revokes: "FR-MJ-2026-0001", ValidFrom: st.ValidFrom}
	v2, err := Open(context.Background(), mustSign(t, st2, "de-bmj"), keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := revs.Add(v2); err != nil {
		t.Fatal(err)
	}
	req := baseRequest()
	got, _, err := Evaluate([]model.Envelope{mustSign(t, baseStatement(), "fr-mj")}, req, keys, &revs, req.Time)
	if err != nil || !slices.Equal(got, []string{"FR"}) {
		t.Errorf("authorized = %v, %v; want FR despite DE's revocation", got, err)
	}
	if v, _ := Open(context.Background(), mustSign(t, baseStatement(), "fr-mj"), keys); revs.Add(v) == nil {
		t.Error("Add accepted an authorization")
	}
}

func TestWithin(t *testing.T) {
	outer := baseStatement().Scope
	narrow := *outer
	narrow.MaxSubjects = 10
	narrow.Selectors = &SelectorScope{Kind: model.SelectorSpecific, Count: 2}
	if sf := narrow.Within(outer); len(sf) != 0 {
		t.Errorf("narrowing reported as wider: %+v", sf)
	}
	wide := *outer
	wide.MaxSubjects = 0
	wide.Categories = []string{"personal"}
	wide.Purposes = []string{"law-enforcement", "national-security"}
	var got []string
	for _, sf := range wide.Within(outer) {
		got = append(got, sf.Detail)
	}
	want := []string{
		"purpose national-security was not requested",
		"category personal was not requested",
		"any number of subjects, where 100 were requested",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Within:\n got %q\nwant %q", got, want)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	priv := testKey("x")
	pemData, err := MarshalPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKey(pemData)
	if err != nil || !back.Equal(priv) {
		t.Fatalf("ParsePrivateKey = %v, %v", back, err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	pub2, err := ParsePublicKey(EncodePublicKey(pub))
	if err != nil || !pub2.Equal(pub) {
		t.Fatalf("ParsePublicKey = %v, %v", pub2, err)
	}
	for _, bad := range []string{"", "AAAA", "not base64!"} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
	if _, err := ParsePrivateKey([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")); err == nil {
		t.Error("ParsePrivateKey accepted a public key block")
	}
	if _, ok := (KeySet{"a": {ID: "a"}}).AuthorityKey("a"); ok {
		t.Error("an authority without a key was returned")
	}
}

// TestGoldenEnvelope pins the wire form: a signature over the statement in
// testdata/authorization.json with the deterministic fr-mj test key.
func TestGoldenEnvelope(t *testing.T) {
	data, err := os.ReadFile("testdata/authorization.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStatement(data)
	if err != nil {
		t.Fatal(err)
	}
	env := mustSign(t, st, "fr-mj")
	got, _ := json.MarshalIndent(env, "", "  ")
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile("testdata/authorization.envelope.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/authorization.envelope.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("envelope changed:\n%s\nwant\n%s", got, want)
	}
	parsed, err := ParseEnvelope(want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), *parsed, testWorld()); err != nil {
		t.Errorf("golden envelope does not verify: %v", err)
	}
}

func FuzzParseEnvelope(f *testing.F) {
	golden, err := os.ReadFile("testdata/authorization.envelope.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"payloadType":"` + PayloadType + `","payload":"e30=","signatures":[{"sig":"AA=="}]}`))
	f.Add([]byte(`{"payloadType":"x","payload":"","signatures":[]}`))
	f.Add([]byte(`{"signatures":[{"keyid":1}]}`))
	keys := testWorld()
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseEnvelope(data)
		if err != nil {
			return
		}
		// Whatever parses may be opened without panicking; only a valid
		// signature by a registered key may open.
		v, err := Open(context.Background(), *env, keys)
		if err == nil && v.Statement == nil {
			t.Fatal("opened without a statement")
		}
	})
}

func TestAuthorizer(t *testing.T) {
	a := &Authorizer{Keys: testWorld()}
	req := baseRequest()
	st := baseStatement()
	st.Scope.MaxRecords = 10
	req.Basis.Authorizations = []model.Envelope{mustSign(t, st, "fr-mj")}
	states, reasons, err := a.Authorize(context.Background(), req, req.Time)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 0 || len(reasons) != 1 {
		t.Fatalf("states %v reasons %+v", states, reasons)
	}
	r := reasons[0]
	if r.Rule != "authz-records" || r.Pack != Pack || r.Effect != model.EffectRequire || r.Satisfied ||
		r.Message != "authorization FR-MJ-2026-0001 from FR covers 10 records, request has 13" {
		t.Errorf("reason %+v", r)
	}
}

func BenchmarkOpen(b *testing.B) {
	keys := testWorld()
	env := mustSign(b, baseStatement(), "fr-mj")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(ctx, env, keys); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	keys := testWorld()
	req := baseRequest()
	envs := []model.Envelope{mustSign(b, baseStatement(), "fr-mj")}
	b.ReportAllocs()
	for b.Loop() {
		got, _, err := Evaluate(envs, req, keys, nil, req.Time)
		if err != nil || len(got) != 1 {
			b.Fatal(got, err)
		}
	}
}

func BenchmarkParseStatement(b *testing.B) {
	data, err := os.ReadFile("testdata/authorization.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseStatement(data); err != nil {
			b.Fatal(err)
		}
	}
}
