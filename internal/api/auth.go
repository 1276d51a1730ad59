package api

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// caller is who is asking: the principal bound to the credential, and the
// API role the credential grants.
type caller struct {
	principal store.Principal
	role      string
}

func (c caller) is(roles ...string) bool { return slices.Contains(roles, c.role) }

// handlerFunc is an endpoint that needs a caller.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c caller)

// auth admits callers holding a valid credential whose role is in roles
// (admin always): no credential or an invalid one is 401, a role not listed
// is 403, a database that does not answer is 503.
func (s *Server) auth(roles []string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, p := s.authenticate(r)
		if p != nil {
			writeProblem(w, r, p)
			return
		}
		if sw, ok := w.(*statusWriter); ok {
			sw.principal = c.principal.ID
		}
		if s.rateLimited(w, r, c) {
			return
		}
		if c.role != store.RoleAdmin && !slices.Contains(roles, c.role) {
			writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("role %s may not %s %s; allowed: admin, %s", c.role, r.Method, r.URL.Path, strings.Join(roles, ", "))))
			return
		}
		h(w, r, c)
	})
}

// authenticate finds the caller of r: a bearer token first, else a
// verified client certificate.
func (s *Server) authenticate(r *http.Request) (caller, *Problem) {
	h := r.Header.Get("Authorization")
	if h != "" {
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return caller{}, newProblem(http.StatusUnauthorized, locale.Errorf("the Authorization header must be \"Bearer <token>\""))
		}
		tok, p, err := s.authenticateToken(r.Context(), strings.TrimSpace(secret))
		switch {
		case errors.Is(err, store.ErrUnauthorized):
			return caller{}, newProblem(http.StatusUnauthorized, locale.Errorf("the token is unknown, expired or revoked"))
		case err != nil:
			return caller{}, s.storeProblem(err, locale.Errorf("token"))
		}
		return caller{principal: p, role: tok.Role}, nil
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		return s.certCaller(r)
	}
	return caller{}, newProblem(http.StatusUnauthorized, locale.Errorf("no credential: send \"Authorization: Bearer <token>\" (create one with `accord token create`)"))
}

// certCaller maps a verified client certificate to a caller: the subject's
// common name is the principal id, and the first organizational unit that
// names a role is the role.
func (s *Server) certCaller(r *http.Request) (caller, *Problem) {
	cert := r.TLS.VerifiedChains[0][0]
	id := cert.Subject.CommonName
	role := ""
	for _, ou := range cert.Subject.OrganizationalUnit {
		if store.ValidRole(ou) {
			role = ou
			break
		}
	}
	if id == "" || role == "" {
		return caller{}, newProblem(http.StatusUnauthorized, locale.Errorf("the client certificate must name a principal (CN) and a role (OU)"))
	}
	p, err := s.cfg.Store.Principal(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return caller{}, newProblem(http.StatusUnauthorized, locale.Errorf("the client certificate names an unknown principal"))
	case err != nil:
		return caller{}, s.storeProblem(err, locale.Errorf("principal"))
	}
	return caller{principal: p, role: role}, nil
}

// authCache remembers tokens that authenticated, for Config.AuthCacheTTL,
// so that a busy client does not cost two database reads per request.
// Expiry is still checked on every request; a revocation takes effect
// within the TTL.
type authCache struct {
	mu sync.Mutex
	m  map[string]authEntry // by hex SHA-256 of the secret
}

type authEntry struct {
	tok  store.Token
	p    store.Principal
	seen time.Time
}

// maxAuthCache bounds the cache; when full it starts afresh.
const maxAuthCache = 10000

// authenticateToken is store.Authenticate behind the cache.
func (s *Server) authenticateToken(ctx context.Context, secret string) (store.Token, store.Principal, error) {
	now := s.cfg.Now()
	ttl := s.cfg.AuthCacheTTL
	if ttl <= 0 {
		return store.Authenticate(ctx, s.cfg.Store, secret, now)
	}
	key := hex.EncodeToString(store.HashToken(secret))
	s.auths.mu.Lock()
	e, ok := s.auths.m[key]
	s.auths.mu.Unlock()
	if ok && now.Sub(e.seen) < ttl && now.Sub(e.seen) >= 0 && e.tok.ActiveAt(now) {
		return e.tok, e.p, nil
	}
	tok, p, err := store.Authenticate(ctx, s.cfg.Store, secret, now)
	s.auths.mu.Lock()
	defer s.auths.mu.Unlock()
	if err != nil {
		delete(s.auths.m, key)
		return tok, p, err
	}
	if s.auths.m == nil || len(s.auths.m) >= maxAuthCache {
		s.auths.m = map[string]authEntry{}
	}
	s.auths.m[key] = authEntry{tok: tok, p: p, seen: now}
	return tok, p, nil
}
