package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/advisory"
	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// serveAdvisories turns on the advisory endpoints when the store keeps
// advisories, and starts the outbox deliverer: it runs every interval,
// and at once when the API queues notices (Kick). It returns nil (the
// endpoints answer 404) when the store has no advisory tables.
//
// With csafURL set, the server is also a CSAF provider under that base URL,
// whose advisories are signed with the OpenPGP key in csafKey
// (providerKey).
func serveAdvisories(ctx context.Context, st store.Store, log api.Appender, logger *slog.Logger, interval time.Duration, csafURL, csafKey string) (*api.Advisories, error) {
	as, ok := st.(store.Advisories)
	if !ok {
		return nil, nil
	}
	var provider *advisory.Provider
	if csafURL != "" {
		base := strings.TrimSuffix(csafURL, "/")
		key, err := providerKey(ctx, csafKey, base, log, logger)
		if err != nil {
			return nil, err
		}
		provider = &advisory.Provider{BaseURL: base, Publisher: advisory.Publisher{Name: "Accord provider " + base, Namespace: base}, Key: key}
	}
	kick := make(chan struct{}, 1)
	d := &advisory.Deliverer{Store: as, Log: log, Logger: logger}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if _, err := d.RunOnce(ctx); err != nil {
				logger.Warn("advisory outbox", slog.String("error", err.Error()))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-kick:
			}
		}
	}()
	a := &api.Advisories{Store: as, Log: log, Kick: func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}, Provider: provider}
	return a, nil
}

// providerKey reads the CSAF provider's OpenPGP key from path or, on the
// first start (no file), makes one: its fingerprint is appended to the
// log (an advisory entry, action provider-key) and only then is the key
// written, mode 0600, so a key file on disk is a key on the log. Replicas
// must share one key file (--csaf-key).
func providerKey(ctx context.Context, path, base string, log api.Appender, logger *slog.Logger) (*advisory.ProviderKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := advisory.ReadProviderKey(b)
		if err != nil {
			return nil, badInput(locale.Errorf("--csaf-key %s: %v", path, err))
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, locale.Errorf("--csaf-key: %v", err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	k, priv, err := advisory.NewProviderKey(base, now)
	if err != nil {
		return nil, err
	}
	e, err := advisory.ProviderKeyEntry(k, now)
	if err != nil {
		return nil, err
	}
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	idx, err := log.Append(actx, e)
	if err != nil {
		return nil, locale.Errorf("log the CSAF provider's OpenPGP key (nothing was written): %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, locale.Errorf("--csaf-key: %v", err)
	}
	if err := writeKeyFile(path, string(priv), false); err != nil {
		return nil, locale.Errorf("CSAF provider's OpenPGP key logged at index %s but not written: %v", strconv.FormatUint(idx, 10), err)
	}
	logger.Info("made the CSAF provider's OpenPGP key", slog.String("fingerprint", k.Fingerprint()), slog.Uint64("log_index", idx), slog.String("file", path))
	return k, nil
}
