package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// approvalKeyFileName is the file of the key serve signs the data holders'
// answers with, beside the log's key (DIR/keys/approval.key).
const approvalKeyFileName = "approval.key"

// serveApprovals builds the approval service when the store keeps
// approvals (nil otherwise: the endpoints answer 404 and approval
// measures can never be granted). Its approval measures are the ones the
// current packs mark (measures, set by each decider built).
func serveApprovals(st store.Store, log api.Appender, keyFile string, measures *atomic.Pointer[map[string][]string]) (*approval.Service, error) {
	as, ok := st.(store.Approvals)
	if !ok {
		return nil, nil
	}
	key, err := loadOrCreateApprovalKey(keyFile)
	if err != nil {
		return nil, err
	}
	return approval.New(approval.Config{Store: as, Catalog: st, Log: log, Key: key,
		Measures: func() map[string][]string {
			if m := measures.Load(); m != nil {
				return *m
			}
			return nil
		}})
}

// loadOrCreateApprovalKey reads the Ed25519 key at path (PEM PKCS #8,
// mode 0600), creating it the first time. Replicas share one key file.
func loadOrCreateApprovalKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, locale.Errorf("generate approval key: %v", err)
		}
		pemKey, err := authz.MarshalPrivateKey(priv)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, locale.Errorf("approval key: %v", err)
		}
		if err := writeKeyFile(path, string(pemKey), false); err != nil {
			return nil, locale.Errorf("approval key: %v", err)
		}
		return priv, nil
	}
	if err != nil {
		return nil, locale.Errorf("approval key: %v", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, badInput(locale.Errorf("--approval-key %s: mode %04o lets others read the private key; run chmod 600 %s", path, fi.Mode().Perm(), path))
	}
	key, err := authz.ParsePrivateKey(raw)
	if err != nil {
		return nil, badInput(locale.Errorf("--approval-key %s: %v", path, err))
	}
	return key, nil
}

// askFailedLogger reports an approval request that could not be made for
// a pending decision (the decision stands; the requester may ask again).
func askFailedLogger(logger *slog.Logger) func(error) {
	return func(err error) {
		logger.Warn("approval request not made", slog.String("error", err.Error()))
	}
}

// serveApprovalsAPI configures the approval endpoints, or nil (404) without
// a service.
func serveApprovalsAPI(svc *approval.Service) *api.Approvals {
	if svc == nil {
		return nil
	}
	return &api.Approvals{Service: svc}
}
