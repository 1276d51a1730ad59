package authz

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// PayloadType is the DSSE payloadType of an Accord statement. It is part of
// what is signed, so a signature over another kind of document cannot be
// passed off as an authorization.
const PayloadType = "application/vnd.accord.authorization+json"

// Errors Open returns, wrapped with the statement's id. All of them mean the
// input is bad: the caller should reject it (HTTP 400, exit code 2), not
// treat it as a missing authorization.
var (
	// ErrPayloadType: the envelope is not an Accord statement.
	ErrPayloadType = locale.Errorf("payloadType is not %s", PayloadType)
	// ErrUnknownIssuer: the issuer is not in the registry, or has no key.
	ErrUnknownIssuer = locale.Errorf("issuer is not a registered authority with a public key")
	// ErrSignature: no signature verifies with the issuer's key.
	ErrSignature = locale.Errorf("signature does not verify with the issuer's key")
)

// Sign validates st, encodes it as the payload of a DSSE envelope and signs
// it with priv. The signature's keyid is KeyID of the public key.
func Sign(ctx context.Context, st *Statement, priv ed25519.PrivateKey) (model.Envelope, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return model.Envelope{}, locale.Errorf("sign: private key has %s bytes, want %s", strconv.Itoa(len(priv)), strconv.Itoa(ed25519.PrivateKeySize))
	}
	if err := st.Validate(); err != nil {
		return model.Envelope{}, locale.Errorf("sign statement: %v", err)
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return model.Envelope{}, locale.Errorf("sign statement %s: %v", st.ID, err)
	}
	sv, err := SignerVerifier(priv.Public().(ed25519.PublicKey), priv)
	if err != nil {
		return model.Envelope{}, locale.Errorf("sign statement %s: %v", st.ID, err)
	}
	signer, err := dsse.NewEnvelopeSigner(sv)
	if err != nil {
		return model.Envelope{}, locale.Errorf("sign statement %s: %v", st.ID, err)
	}
	env, err := signer.SignPayload(ctx, PayloadType, payload)
	if err != nil {
		return model.Envelope{}, locale.Errorf("sign statement %s: %v", st.ID, err)
	}
	return fromDSSE(env), nil
}

// SignerVerifier builds securesystemslib's Ed25519 signer-verifier for a
// DSSE envelope, keyed by KeyID(pub); priv may be nil for verification
// only. Every DSSE signature Accord makes or checks (authorizations,
// advisories) goes through it.
func SignerVerifier(pub ed25519.PublicKey, priv ed25519.PrivateKey) (*signerverifier.ED25519SignerVerifier, error) {
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	key := &signerverifier.SSLibKey{
		KeyIDHashAlgorithms: signerverifier.KeyIDHashAlgorithms,
		KeyType:             signerverifier.ED25519KeyType,
		Scheme:              signerverifier.ED25519KeyType,
		KeyID:               id,
		KeyVal:              signerverifier.KeyVal{Public: hex.EncodeToString(pub)},
	}
	if priv != nil {
		key.KeyVal.Private = hex.EncodeToString(priv)
	}
	return signerverifier.NewED25519SignerVerifierFromSSLibKey(key)
}

// ParseEnvelope decodes a DSSE envelope strictly (no unknown or duplicate
// fields) and checks its shape: Accord's payloadType, a base64 payload, at
// least one signature, each in base64. It does not verify signatures; Open
// does.
func ParseEnvelope(data []byte) (*model.Envelope, error) {
	var env model.Envelope
	if err := decodeStrict(data, &env); err != nil {
		return nil, err
	}
	if err := checkEnvelope(&env); err != nil {
		return nil, err
	}
	return &env, nil
}

// checkEnvelope checks an envelope's shape; errors are *ParseError.
func checkEnvelope(env *model.Envelope) error {
	if env.PayloadType != PayloadType {
		return parseError("payloadType", locale.Errorf("is %q, want %q", env.PayloadType, PayloadType))
	}
	if _, err := base64.StdEncoding.DecodeString(env.Payload); err != nil {
		return parseError("payload", locale.Errorf("is not standard base64"))
	}
	if len(env.Signatures) == 0 {
		return parseError("signatures", locale.Errorf("must hold at least one signature"))
	}
	for i, s := range env.Signatures {
		if _, err := base64.StdEncoding.DecodeString(s.Sig); err != nil || s.Sig == "" {
			return parseError(fmt.Sprintf("signatures[%d].sig", i), locale.Errorf("is not a standard base64 signature"))
		}
	}
	return nil
}

// Verified is a statement whose signature verified with its issuer's key.
type Verified struct {
	// Statement is the signed statement.
	Statement *Statement
	// Authority is the registry entry whose key verified the signature.
	Authority AuthorityKey
	// KeyID is the id of the key that verified.
	KeyID string
	// Digest is the hex SHA-256 of the payload: what the ledger records of
	// the statement.
	Digest string
}

// Open checks an envelope's shape, decodes its statement and verifies its
// signature with the key of the authority the statement names as issuer.
// Every error means bad input (see ErrPayloadType, ErrUnknownIssuer,
// ErrSignature, *ParseError). Open does not judge whether the statement
// authorizes anything; Evaluate does.
func Open(ctx context.Context, env model.Envelope, keys Keys) (*Verified, error) {
	if err := checkEnvelope(&env); err != nil {
		if pe, ok := err.(*ParseError); ok && pe.Path == "payloadType" {
			return nil, locale.Errorf("%v (got %q)", ErrPayloadType, env.PayloadType)
		}
		return nil, err
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, parseError("payload", locale.Errorf("is not standard base64"))
	}
	st, err := ParseStatement(payload)
	if err != nil {
		return nil, locale.Errorf("payload: %v", err)
	}
	auth, ok := keys.AuthorityKey(st.Issuer)
	if !ok {
		return nil, locale.Errorf("statement %s: issuer %q: %v", st.ID, st.Issuer, ErrUnknownIssuer)
	}
	sv, err := SignerVerifier(auth.PublicKey, nil)
	if err != nil {
		return nil, locale.Errorf("statement %s: issuer %q: %v", st.ID, st.Issuer, err)
	}
	verifier, err := dsse.NewEnvelopeVerifier(sv)
	if err != nil {
		return nil, locale.Errorf("statement %s: %v", st.ID, err)
	}
	accepted, err := verifier.Verify(ctx, toDSSE(env))
	if err != nil || len(accepted) == 0 {
		return nil, locale.Errorf("statement %s: issuer %q: %v", st.ID, st.Issuer, ErrSignature)
	}
	sum := sha256.Sum256(payload)
	return &Verified{Statement: st, Authority: auth, KeyID: accepted[0].KeyID, Digest: hex.EncodeToString(sum[:])}, nil
}

func fromDSSE(e *dsse.Envelope) model.Envelope {
	out := model.Envelope{PayloadType: e.PayloadType, Payload: e.Payload}
	for _, s := range e.Signatures {
		out.Signatures = append(out.Signatures, model.Signature{KeyID: s.KeyID, Sig: s.Sig})
	}
	return out
}

func toDSSE(e model.Envelope) *dsse.Envelope {
	out := &dsse.Envelope{PayloadType: e.PayloadType, Payload: e.Payload}
	for _, s := range e.Signatures {
		out.Signatures = append(out.Signatures, dsse.Signature{KeyID: s.KeyID, Sig: s.Sig})
	}
	return out
}
