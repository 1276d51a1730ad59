package approval

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/model"
)

// PayloadType is the DSSE payloadType of an approval statement; being
// signed, it keeps an authorization's or an advisory's signature from
// passing for an approval.
const PayloadType = "application/vnd.accord.approval+json"

// Statement is what the server signs when the holder's approver answers
// a request: who answered what, for whom, and until when.
type Statement struct {
	// ID is the approval request's id.
	ID string `json:"id"`
	// Outcome is approved or denied.
	Outcome string `json:"outcome"`
	// Approver is the principal that answered: the dataset's holder.
	Approver string `json:"approver"`
	// Requester and OnBehalfOf are whom the answer is for.
	Requester  string `json:"requester"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
	// Dataset, Action, Purpose and Categories are what it covers.
	Dataset    string   `json:"dataset"`
	Action     string   `json:"action"`
	Purpose    string   `json:"purpose"`
	Categories []string `json:"categories"`
	// Measures are the approval measures granted (or refused).
	Measures []string `json:"measures"`
	// RequestIndex is the log index of the request's approval entry.
	RequestIndex uint64 `json:"request_index"`
	// Issued is when the answer was given; Expires, for an approval, when
	// it stops counting (exclusive).
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires,omitzero"`
}

// Validate reports the first rule st breaks, naming the field.
func (st *Statement) Validate() error {
	switch {
	case !strings.HasPrefix(st.ID, "apr-"):
		return fmt.Errorf("statement id %q: want apr-…", st.ID)
	case st.Outcome != StatusApproved && st.Outcome != StatusDenied:
		return fmt.Errorf("statement %s: outcome %q is not approved or denied", st.ID, st.Outcome)
	case st.Approver == "" || st.Requester == "" || st.Dataset == "" || st.Action == "" || st.Purpose == "":
		return fmt.Errorf("statement %s: approver, requester, dataset, action and purpose are required", st.ID)
	case st.Approver == st.Requester || (st.OnBehalfOf != "" && st.Approver == st.OnBehalfOf):
		return fmt.Errorf("statement %s: the approver %s is the requester or whom it acts for", st.ID, st.Approver)
	case len(st.Measures) == 0:
		return fmt.Errorf("statement %s: measures is empty", st.ID)
	case st.Issued.IsZero():
		return fmt.Errorf("statement %s: issued is missing", st.ID)
	case st.Outcome == StatusApproved && !st.Expires.After(st.Issued):
		return fmt.Errorf("statement %s: an approval needs expires after issued", st.ID)
	case st.Outcome == StatusApproved && st.Expires.Sub(st.Issued) > MaxDuration:
		return fmt.Errorf("statement %s: expires is more than %s after issued", st.ID, MaxDuration)
	case st.Outcome == StatusDenied && !st.Expires.IsZero():
		return fmt.Errorf("statement %s: a denial has no expiry", st.ID)
	}
	return nil
}

// ParseStatement decodes a statement strictly (unknown fields refused)
// and validates it. Errors say what is wrong and where.
func ParseStatement(data []byte) (*Statement, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var st Statement
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("approval statement: at byte %d: %w", dec.InputOffset(), err)
	}
	if dec.More() {
		return nil, fmt.Errorf("approval statement: at byte %d: data after the statement", dec.InputOffset())
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("approval statement: %w", err)
	}
	return &st, nil
}

// keyID is the key id of the service's signatures.
func keyID(pub ed25519.PublicKey) (string, error) { return authz.KeyID(pub) }

// sign signs st with the service's key as a DSSE envelope, returning it
// and the hex SHA-256 of its payload.
func (s *Service) sign(ctx context.Context, st *Statement) (model.Envelope, string, error) {
	if err := st.Validate(); err != nil {
		return model.Envelope{}, "", err
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return model.Envelope{}, "", fmt.Errorf("sign approval %s: %w", st.ID, err)
	}
	sv, err := authz.SignerVerifier(s.pub, s.cfg.Key)
	if err != nil {
		return model.Envelope{}, "", fmt.Errorf("sign approval %s: %w", st.ID, err)
	}
	signer, err := dsse.NewEnvelopeSigner(sv)
	if err != nil {
		return model.Envelope{}, "", fmt.Errorf("sign approval %s: %w", st.ID, err)
	}
	env, err := signer.SignPayload(ctx, PayloadType, payload)
	if err != nil {
		return model.Envelope{}, "", fmt.Errorf("sign approval %s: %w", st.ID, err)
	}
	out := model.Envelope{PayloadType: env.PayloadType, Payload: env.Payload}
	for _, sig := range env.Signatures {
		out.Signatures = append(out.Signatures, model.Signature{KeyID: sig.KeyID, Sig: sig.Sig})
	}
	sum := sha256.Sum256(payload)
	return out, hex.EncodeToString(sum[:]), nil
}

// Verify checks env's payload type and signature with pub and returns its
// statement and the hex SHA-256 of its payload.
func Verify(ctx context.Context, env model.Envelope, pub ed25519.PublicKey) (*Statement, string, error) {
	if env.PayloadType != PayloadType {
		return nil, "", fmt.Errorf("approval envelope: payloadType %q, want %q", env.PayloadType, PayloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, "", fmt.Errorf("approval envelope: payload is not standard base64")
	}
	sv, err := authz.SignerVerifier(pub, nil)
	if err != nil {
		return nil, "", err
	}
	verifier, err := dsse.NewEnvelopeVerifier(sv)
	if err != nil {
		return nil, "", err
	}
	in := &dsse.Envelope{PayloadType: env.PayloadType, Payload: env.Payload}
	for _, sig := range env.Signatures {
		in.Signatures = append(in.Signatures, dsse.Signature{KeyID: sig.KeyID, Sig: sig.Sig})
	}
	if accepted, err := verifier.Verify(ctx, in); err != nil || len(accepted) == 0 {
		return nil, "", fmt.Errorf("approval envelope: the signature does not verify with the server's approval key")
	}
	st, err := ParseStatement(payload)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(payload)
	return st, hex.EncodeToString(sum[:]), nil
}
