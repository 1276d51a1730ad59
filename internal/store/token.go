package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The API roles a token may carry (DESIGN.md, "Identity, roles, history").
const (
	// RoleAdmin may do everything.
	RoleAdmin = "admin"
	// RoleOperator keeps the catalog and the registry overrides.
	RoleOperator = "operator"
	// RoleRequester asks for decisions as its bound principal.
	RoleRequester = "requester"
	// RoleAuthority signs and lodges authorizations for its own state.
	RoleAuthority = "authority"
	// RoleAuditor reads decisions and reports.
	RoleAuditor = "auditor"
	// RoleVendor publishes signed security advisories as its bound
	// principal (package advisory), and nothing else.
	RoleVendor = "vendor"
	// RoleApprover answers the approval requests on the datasets its bound
	// principal holds (package approval), and nothing else. Not even an
	// admin answers for a holder.
	RoleApprover = "approver"
)

// Roles lists every role a token may carry. Reading the public log needs no
// token at all.
var Roles = []string{RoleAdmin, RoleOperator, RoleRequester, RoleAuthority, RoleAuditor, RoleVendor, RoleApprover}

// ValidRole reports whether r is one of Roles.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// tokenPrefix starts every token secret, so that secret scanners and people
// recognise one.
const tokenPrefix = "accord_"

// Token is an API bearer token. The secret itself is never stored.
type Token struct {
	// ID names the token for listing and revocation; it is not secret.
	ID string `json:"id"`
	// Hash is the SHA-256 of the secret.
	Hash []byte `json:"-"`
	// PrincipalID is the principal the token speaks for.
	PrincipalID string `json:"principal"`
	// Role is the API role the token grants.
	Role string `json:"role"`
	// Created is when the token was made.
	Created time.Time `json:"created"`
	// Expires is when it stops working; zero means never.
	Expires time.Time `json:"expires,omitzero"`
	// Revoked is when it was revoked; zero means it was not.
	Revoked time.Time `json:"revoked,omitzero"`
}

// ActiveAt reports whether t may be used at now: not revoked at or before
// now and not expired (a token expires at its Expires instant).
func (t Token) ActiveAt(now time.Time) bool {
	if !t.Revoked.IsZero() && !now.Before(t.Revoked) {
		return false
	}
	if !t.Expires.IsZero() && !now.Before(t.Expires) {
		return false
	}
	return true
}

// HashToken returns the SHA-256 of a token secret, as stored.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewToken makes a fresh token for principal with role, valid for ttl from
// now (ttl 0: no expiry). It returns the secret, to show once, and the Token
// to store.
func NewToken(principal, role string, now time.Time, ttl time.Duration) (string, Token, error) {
	if principal == "" {
		return "", Token{}, fmt.Errorf("%w: token principal is empty", ErrInvalid)
	}
	if !ValidRole(role) {
		return "", Token{}, fmt.Errorf("%w: token role %q is not one of %s", ErrInvalid, role, strings.Join(Roles, ", "))
	}
	if ttl < 0 {
		return "", Token{}, fmt.Errorf("%w: token lifetime %s is negative", ErrInvalid, ttl)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, fmt.Errorf("token secret: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	h := HashToken(secret)
	t := Token{
		ID:          "tok-" + hex.EncodeToString(h[:6]),
		Hash:        h,
		PrincipalID: principal,
		Role:        role,
		Created:     now.UTC(),
	}
	if ttl > 0 {
		t.Expires = now.Add(ttl).UTC()
	}
	return secret, t, nil
}

// Credentials is what Authenticate needs of a store.
type Credentials interface {
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	Principal(ctx context.Context, id string) (Principal, error)
}

// Authenticate returns the token and principal a bearer secret stands for,
// or an error wrapping ErrUnauthorized if the secret is unknown, expired or
// revoked at now, or ErrUnavailable if the database is down.
func Authenticate(ctx context.Context, c Credentials, secret string, now time.Time) (Token, Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Token{}, Principal{}, ErrUnauthorized
	}
	t, err := c.TokenByHash(ctx, HashToken(secret))
	if errors.Is(err, ErrNotFound) {
		return Token{}, Principal{}, ErrUnauthorized
	}
	if err != nil {
		return Token{}, Principal{}, fmt.Errorf("look up token: %w", err)
	}
	if !t.ActiveAt(now) {
		return Token{}, Principal{}, ErrUnauthorized
	}
	p, err := c.Principal(ctx, t.PrincipalID)
	if errors.Is(err, ErrNotFound) {
		return Token{}, Principal{}, ErrUnauthorized
	}
	if err != nil {
		return Token{}, Principal{}, fmt.Errorf("look up principal %s: %w", t.PrincipalID, err)
	}
	return t, p, nil
}
