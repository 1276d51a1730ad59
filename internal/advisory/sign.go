package advisory

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// PayloadType is the DSSE payloadType of a signed advisory: the payload
// is the OSV or CSAF document, byte for byte.
const PayloadType = "application/vnd.accord.advisory+json"

// ErrSignature means no signature of the envelope verifies with the
// vendor's registered key.
var ErrSignature = locale.Errorf("no signature verifies with the vendor's registered key")

// Sign wraps an advisory document in a DSSE envelope signed with priv.
func Sign(ctx context.Context, doc []byte, priv ed25519.PrivateKey) (model.Envelope, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return model.Envelope{}, locale.Errorf("sign advisory: private key has %s bytes, want %s", strconv.Itoa(len(priv)), strconv.Itoa(ed25519.PrivateKeySize))
	}
	sv, err := authz.SignerVerifier(priv.Public().(ed25519.PublicKey), priv)
	if err != nil {
		return model.Envelope{}, locale.Errorf("sign advisory: %v", err)
	}
	s, err := dsse.NewEnvelopeSigner(sv)
	if err != nil {
		return model.Envelope{}, locale.Errorf("sign advisory: %v", err)
	}
	env, err := s.SignPayload(ctx, PayloadType, doc)
	if err != nil {
		return model.Envelope{}, locale.Errorf("sign advisory: %v", err)
	}
	out := model.Envelope{PayloadType: env.PayloadType, Payload: env.Payload}
	for _, sg := range env.Signatures {
		out.Signatures = append(out.Signatures, model.Signature{KeyID: sg.KeyID, Sig: sg.Sig})
	}
	return out, nil
}

// ParseEnvelope decodes a DSSE envelope and checks its shape: Accord's
// advisory payloadType, a base64 payload, at least one base64 signature.
func ParseEnvelope(data []byte) (*model.Envelope, []byte, error) {
	var env model.Envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, nil, jsonErr(data, err)
	}
	if env.PayloadType != PayloadType {
		return nil, nil, inputErr("/payloadType", locale.Errorf("is %q, want %q", env.PayloadType, PayloadType))
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, nil, inputErr("/payload", locale.Errorf("is not standard base64"))
	}
	if len(env.Signatures) == 0 {
		return nil, nil, inputErr("/signatures", locale.Errorf("must hold at least one signature"))
	}
	for i, s := range env.Signatures {
		if _, err := base64.StdEncoding.DecodeString(s.Sig); err != nil || s.Sig == "" {
			return nil, nil, inputErr(fmtPath("/signatures/%d/sig", i), locale.Errorf("is not a standard base64 signature"))
		}
	}
	return &env, payload, nil
}

// Verify checks that some signature of env verifies with pub.
func Verify(ctx context.Context, env *model.Envelope, pub ed25519.PublicKey) error {
	sv, err := authz.SignerVerifier(pub, nil)
	if err != nil {
		return locale.Errorf("verify advisory: %v", err)
	}
	v, err := dsse.NewEnvelopeVerifier(sv)
	if err != nil {
		return locale.Errorf("verify advisory: %v", err)
	}
	d := &dsse.Envelope{PayloadType: env.PayloadType, Payload: env.Payload}
	for _, s := range env.Signatures {
		d.Signatures = append(d.Signatures, dsse.Signature{KeyID: s.KeyID, Sig: s.Sig})
	}
	if _, err := v.Verify(ctx, d); err != nil {
		return ErrSignature
	}
	return nil
}

// Detect tells an advisory document's format: csaf when it has a
// "document" member, osv when it has an "id" member.
func Detect(data []byte) (string, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return "", jsonErr(data, err)
	}
	if _, ok := probe["document"]; ok {
		return FormatCSAF, nil
	}
	if _, ok := probe["id"]; ok {
		return FormatOSV, nil
	}
	return "", inputErr("", locale.Errorf("neither CSAF 2.0 (no /document) nor OSV (no /id)"))
}

// Parse detects the format of data and parses it.
func Parse(data []byte) (*Advisory, error) {
	f, err := Detect(data)
	if err != nil {
		return nil, err
	}
	if f == FormatCSAF {
		a, _, err := ParseCSAF(data)
		return a, err
	}
	a, _, err := ParseOSV(data)
	return a, err
}

// IDHash is the hex SHA-256 of a vendor's advisory id: what the log shows
// of it.
func IDHash(vendor, id string) string {
	sum := sha256.Sum256([]byte(vendor + "/" + id))
	return hex.EncodeToString(sum[:])
}
