package advisory

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/store"
)

// NoticeType is the "type" of a notice payload.
const NoticeType = "advisory.notice"

// NoticePayload is the JSON body of a notice, as Standard Webhooks
// recommends: type, timestamp, data.
type NoticePayload struct {
	Type      string     `json:"type"`
	Timestamp time.Time  `json:"timestamp"`
	Data      NoticeData `json:"data"`
}

// NoticeData says which advisory affects which deployment, through which
// components, and what the remedy lint found.
type NoticeData struct {
	Vendor     string            `json:"vendor"`
	Advisory   string            `json:"advisory"`
	Aliases    []string          `json:"aliases,omitempty"`
	Title      string            `json:"title,omitempty"`
	Severity   string            `json:"severity"`
	Score      float64           `json:"score,omitempty"`
	Exploited  bool              `json:"exploited,omitempty"`
	Published  time.Time         `json:"published"`
	Deployment string            `json:"deployment"`
	Components []NoticeComponent `json:"components"`
	// Lint is the remedy lint's findings; each cites GDSI commitment 8.
	Lint []Finding `json:"lint,omitempty"`
}

// NoticeComponent is one matched component.
type NoticeComponent struct {
	PURL    string `json:"purl"`
	Verdict string `json:"verdict"`
}

// NewWebhookSecret draws a Standard Webhooks secret: "whsec_" and 32
// random bytes in base64.
func NewWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// NewWebhookID draws a message id ("msg_" and 16 random bytes in hex).
func NewWebhookID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

// Notices builds the outbox messages for the matches of one advisory,
// one per deployment, at time now.
func Notices(rec store.AdvisoryRecord, a *Advisory, findings []Finding, ms []Match, now time.Time) ([]store.Notice, error) {
	byDep := map[string][]NoticeComponent{}
	var order []string
	for _, m := range ms {
		if _, ok := byDep[m.Deployment]; !ok {
			order = append(order, m.Deployment)
		}
		byDep[m.Deployment] = append(byDep[m.Deployment], NoticeComponent{PURL: m.Component.PURL, Verdict: m.Verdict.String()})
	}
	var out []store.Notice
	for _, d := range order {
		p := NoticePayload{Type: NoticeType, Timestamp: now.UTC().Truncate(time.Second), Data: NoticeData{
			Vendor: rec.Vendor, Advisory: a.ID, Aliases: a.Aliases, Title: a.Title, Severity: a.Severity(),
			Score: a.Score, Exploited: a.Exploited, Published: rec.Published, Deployment: d, Components: byDep[d], Lint: findings,
		}}
		raw, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("notice for %s: %w", d, err)
		}
		out = append(out, store.Notice{WebhookID: NewWebhookID(), AdvisoryKey: rec.Key, Deployment: d, Payload: raw,
			State: store.NoticePending, NextAttempt: now, Created: now})
	}
	return out, nil
}

// Outbox is what a Deliverer needs of the store.
type Outbox interface {
	Deployment(ctx context.Context, id string) (store.Deployment, error)
	Advisory(ctx context.Context, key string) (store.AdvisoryRecord, error)
	DueNotices(ctx context.Context, now time.Time, limit int) ([]store.Notice, error)
	ClaimNotice(ctx context.Context, n store.Notice, until time.Time) (bool, error)
	UpdateNotice(ctx context.Context, n store.Notice) error
}

// Appender appends an entry to the log and returns its index once durable;
// *ledger.Log implements it.
type Appender interface {
	Append(ctx context.Context, e ledger.Entry) (uint64, error)
}

// Deliverer delivers the outbox: each due notice is POSTed to its
// deployment's webhook URL, signed with Standard Webhooks; a 2xx answer
// delivers it, anything else (or no answer within AttemptTimeout) is
// retried after Backoff·2^(attempts-1), up to MaxAttempts, then
// dead-lettered. Delivered and dead notices get a notice entry on the log.
type Deliverer struct {
	Store Outbox
	// Log receives notice entries; nil: not logged (tests only).
	Log Appender
	// Client sends the POSTs; nil: a client with no proxy.
	Client *http.Client
	// AttemptTimeout bounds one attempt (default 10s): a receiver that
	// hangs costs one bounded attempt, not a worker.
	AttemptTimeout time.Duration
	// MaxAttempts before a notice is dead (default 8).
	MaxAttempts int
	// Backoff is the first retry delay (default 30s), doubled each time,
	// at most MaxBackoff (default 6h).
	Backoff, MaxBackoff time.Duration
	// Workers deliver in parallel (default 8).
	Workers int
	// Now is the server's clock (default time.Now).
	Now func() time.Time
	// Logger receives one line per failed attempt (ids and status only).
	Logger *slog.Logger
}

func (d *Deliverer) defaults() {
	if d.AttemptTimeout == 0 {
		d.AttemptTimeout = 10 * time.Second
	}
	if d.MaxAttempts == 0 {
		d.MaxAttempts = 8
	}
	if d.Backoff == 0 {
		d.Backoff = 30 * time.Second
	}
	if d.MaxBackoff == 0 {
		d.MaxBackoff = 6 * time.Hour
	}
	if d.Workers == 0 {
		d.Workers = 8
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Client == nil {
		dialer := &net.Dialer{Timeout: d.AttemptTimeout, Control: refuseMetadataAddrs}
		d.Client = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, DialContext: dialer.DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
}

// RunOnce delivers the notices due now (at most 1000) and returns how many
// it attempted.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	d.defaults()
	due, err := d.Store.DueNotices(ctx, d.Now(), 1000)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, d.Workers)
		mu   sync.Mutex
		errs []error
	)
	for _, n := range due {
		sem <- struct{}{}
		wg.Add(1)
		go func(n store.Notice) {
			defer func() { <-sem; wg.Done() }()
			if err := d.deliver(ctx, n); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(n)
	}
	wg.Wait()
	return len(due), errors.Join(errs...)
}

// Run calls RunOnce every interval until ctx is done.
func (d *Deliverer) Run(ctx context.Context, interval time.Duration) {
	d.defaults()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil {
			d.Logger.Warn("outbox", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// errAddr refuses a webhook address no notice should go to.
var errAddr = errors.New("webhook address refused: link-local (cloud metadata), unspecified or multicast")

// refuseMetadataAddrs refuses, at dial time (after DNS, so a name that
// resolves there later is caught too), link-local addresses such as the
// cloud metadata service 169.254.169.254, and unspecified and multicast
// ones. Redirects are not followed either.
func refuseMetadataAddrs(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("%s: %w", address, errAddr)
	}
	return nil
}

// attempt POSTs one notice; it returns the HTTP status (0: no answer).
func (d *Deliverer) attempt(ctx context.Context, dep store.Deployment, n store.Notice) (int, error) {
	wh, err := standardwebhooks.NewWebhook(dep.WebhookSecret)
	if err != nil {
		return 0, fmt.Errorf("deployment %s webhook secret: %w", dep.ID, err)
	}
	now := d.Now()
	sig, err := wh.Sign(n.WebhookID, now, n.Payload)
	if err != nil {
		return 0, fmt.Errorf("sign notice %s: %w", n.WebhookID, err)
	}
	actx, cancel := context.WithTimeout(ctx, d.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, dep.WebhookURL, bytes.NewReader(n.Payload))
	if err != nil {
		return 0, fmt.Errorf("notice %s: %w", n.WebhookID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", n.WebhookID)
	req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.Client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (d *Deliverer) deliver(ctx context.Context, n store.Notice) error {
	// Lease it for longer than an attempt and its logging can take, so
	// that another deliverer sharing the database leaves it alone.
	ok, err := d.Store.ClaimNotice(ctx, n, d.Now().Add(d.AttemptTimeout+time.Minute))
	if err != nil {
		return fmt.Errorf("notice %s: %w", n.WebhookID, err)
	}
	if !ok {
		return nil // another deliverer has it
	}
	dep, err := d.Store.Deployment(ctx, n.Deployment)
	if err != nil {
		return fmt.Errorf("notice %s: deployment: %w", n.WebhookID, err)
	}
	status, aerr := d.attempt(ctx, dep, n)
	now := d.Now()
	n.Attempts++
	n.LastStatus = status
	switch {
	case aerr == nil && status >= 200 && status < 300:
		n.State, n.Delivered = store.NoticeDelivered, now
	case n.Attempts >= d.MaxAttempts:
		n.State = store.NoticeDead
	default:
		back := d.Backoff << (n.Attempts - 1)
		if back > d.MaxBackoff || back <= 0 {
			back = d.MaxBackoff
		}
		n.NextAttempt = now.Add(back)
	}
	if n.State != store.NoticeDelivered {
		d.Logger.Info("notice attempt failed", slog.String("webhook_id", n.WebhookID), slog.Int("status", status), slog.Int("attempt", n.Attempts))
	}
	if n.State != store.NoticePending && d.Log != nil {
		rec, err := d.Store.Advisory(ctx, n.AdvisoryKey)
		if err != nil {
			return fmt.Errorf("notice %s: advisory: %w", n.WebhookID, err)
		}
		e, err := NoticeEntry(rec, n, now)
		if err != nil {
			return err
		}
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		idx, err := d.Log.Append(lctx, e)
		cancel()
		if err != nil {
			// Not logged: leave it pending to retry soon; the receiver
			// dedups by webhook id.
			n.State, n.NextAttempt = store.NoticePending, now.Add(d.Backoff)
		} else {
			n.LogIndex, n.Logged = idx, true
		}
	}
	if err := d.Store.UpdateNotice(context.WithoutCancel(ctx), n); err != nil {
		return fmt.Errorf("notice %s: %w", n.WebhookID, err)
	}
	return nil
}

// AdvisoryEntry builds the advisory entry of a publication: subject the
// vendor id, digest the advisory id hash, severity, lint rules, and the
// count of deployments affected (records). The private record is rec
// without its documents.
func AdvisoryEntry(rec store.AdvisoryRecord, at time.Time) (ledger.Entry, error) {
	e, _, err := ledger.NewRecord(ledger.KindAdvisory, at, struct {
		Key, Vendor, ID, Format, Severity string
		Affected                          int
	}{rec.Key, rec.Vendor, rec.ID, rec.Format, rec.Severity, rec.Affected})
	if err != nil {
		return ledger.Entry{}, err
	}
	e.Action = "publish"
	e.Subject = rec.Vendor
	e.Digest = IDHash(rec.Vendor, rec.ID)
	e.Severity = rec.Severity
	e.Rules = rec.Flags
	e.Records = int64(rec.Affected)
	if err := e.Validate(); err != nil {
		return ledger.Entry{}, fmt.Errorf("advisory entry: %w", err)
	}
	return e, nil
}

// VendorKeyEntry builds the advisory entry that registers a vendor's key:
// action vendor-key, subject the vendor, key fingerprint.
func VendorKeyEntry(vendor, fingerprint string, at time.Time) (ledger.Entry, error) {
	e, _, err := ledger.NewRecord(ledger.KindAdvisory, at, struct{ Vendor, Fingerprint string }{vendor, fingerprint})
	if err != nil {
		return ledger.Entry{}, err
	}
	e.Action, e.Subject, e.KeyFingerprint = "vendor-key", vendor, fingerprint
	if err := e.Validate(); err != nil {
		return ledger.Entry{}, fmt.Errorf("vendor key entry: %w", err)
	}
	return e, nil
}

// NoticeEntry builds the notice entry of a notice's outcome at time at:
// outcome delivered or failed, refers to the advisory entry, and the
// seconds since publication and since the stated discovery.
func NoticeEntry(rec store.AdvisoryRecord, n store.Notice, at time.Time) (ledger.Entry, error) {
	e, _, err := ledger.NewRecord(ledger.KindNotice, at, struct {
		WebhookID, Advisory, Deployment, State string
		Attempts                               int
	}{n.WebhookID, n.AdvisoryKey, n.Deployment, n.State, n.Attempts})
	if err != nil {
		return ledger.Entry{}, err
	}
	e.Outcome = "failed"
	if n.State == store.NoticeDelivered {
		e.Outcome = "delivered"
	}
	ref := rec.LogIndex
	e.Refers = &ref
	e.Subject = rec.Vendor
	e.Digest = IDHash(rec.Vendor, rec.ID)
	e.Severity = rec.Severity
	sp := max(int64(at.Sub(rec.Published)/time.Second), 0)
	e.SincePublished = &sp
	if !rec.Discovered.IsZero() {
		sd := max(int64(at.Sub(rec.Discovered)/time.Second), 0)
		e.SinceDiscovered = &sd
	}
	if err := e.Validate(); err != nil {
		return ledger.Entry{}, fmt.Errorf("notice entry: %w", err)
	}
	return e, nil
}
