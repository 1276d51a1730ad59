package custody

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
)

// Decision is what an opener needs of a decision: its receipt and private
// record, as GET /v1/decisions/{id} returns them.
type Decision struct {
	Receipt *ledger.Receipt `json:"receipt"`
	Private *ledger.Private `json:"private"`
}

// FetchDecision asks an Accord server for decision id, waiting up to wait
// for its receipt. token is the requester's API token.
func FetchDecision(ctx context.Context, hc *http.Client, server, token, id string, wait time.Duration) (*Decision, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	u := strings.TrimRight(server, "/") + "/v1/decisions/" + url.PathEscape(id) + "?wait=" + wait.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch decision %s: %w", id, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch decision %s: %w", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch decision %s: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch decision %s: %s: %s", id, resp.Status, bytes.TrimSpace(body))
	}
	var d Decision
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("fetch decision %s: %w", id, err)
	}
	if d.Receipt == nil {
		return nil, fmt.Errorf("fetch decision %s: no receipt yet (the log has not published a checkpoint covering it); try again", id)
	}
	if d.Private == nil {
		return nil, fmt.Errorf("fetch decision %s: the server returned no private record", id)
	}
	return &d, nil
}

// OpenOptions say how OpenFile asks for shares.
type OpenOptions struct {
	// Decision is the allowing decision's receipt and private record.
	Decision *Decision
	// Key is the requester's HPKE private key; its public key is the
	// decision's request.recipient.
	Key hpke.PrivateKey
	// HTTP is the client used to reach custodians (http.DefaultClient).
	HTTP *http.Client
	// URLs overrides the custodians' URLs in the header, by custodian id.
	URLs map[string]string
}

// RequestShares asks every custodian the header names for its share, in
// parallel, and returns the shares that were released and verified, and
// one error per custodian that did not give one (a *Refusal when it
// refused).
func RequestShares(ctx context.Context, h *Header, opts OpenOptions) ([]Share, []error) {
	if opts.Decision == nil || opts.Key == nil {
		return nil, []error{errors.New("request shares: a decision and a key are required")}
	}
	hc := opts.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	body, err := json.Marshal(ReleaseRequest{Header: h.Raw(), Receipt: opts.Decision.Receipt, Private: opts.Decision.Private, Recipient: EncodePublicKey(opts.Key.PublicKey())})
	if err != nil {
		return nil, []error{fmt.Errorf("request shares: %w", err)}
	}
	var (
		mu     sync.Mutex
		shares []Share
		byPos  = make([]error, len(h.Custodians))
		wg     sync.WaitGroup
	)
	for i, c := range h.Custodians {
		u := c.URL
		if o, ok := opts.URLs[c.ID]; ok {
			u = o
		}
		wg.Go(func() {
			s, err := askCustodian(ctx, hc, h, i, u, body, opts.Key)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				byPos[i] = err
				return
			}
			shares = append(shares, s)
		})
	}
	wg.Wait()
	var errs []error
	for _, err := range byPos {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return shares, errs
}

func askCustodian(ctx context.Context, hc *http.Client, h *Header, i int, base string, body []byte, key hpke.PrivateKey) (Share, error) {
	id := h.Custodians[i].ID
	if base == "" {
		return Share{}, fmt.Errorf("custodian %s: no URL", id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/v1/release", bytes.NewReader(body))
	if err != nil {
		return Share{}, fmt.Errorf("custodian %s: %w", id, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Share{}, fmt.Errorf("custodian %s: unreachable: %w", id, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Share{}, fmt.Errorf("custodian %s: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		var ref Refusal
		if json.Unmarshal(raw, &ref) == nil && ref.Code != "" {
			ref.Custodian = id
			return Share{}, &ref
		}
		return Share{}, fmt.Errorf("custodian %s: %s", id, resp.Status)
	}
	var rr ReleaseResponse
	if err := json.Unmarshal(raw, &rr); err != nil {
		return Share{}, fmt.Errorf("custodian %s: answer: %w", id, err)
	}
	if rr.Index != i {
		return Share{}, fmt.Errorf("custodian %s: answered for position %d, asked %d", id, rr.Index, i)
	}
	s, err := h.OpenRelease(key, &rr)
	if err != nil {
		return Share{}, fmt.Errorf("custodian %s: %w", id, err)
	}
	return s, nil
}

// OpenError is returned by OpenFile when too few custodians released, or
// a veto holder did not: it lists each silent custodian's reason.
type OpenError struct {
	// Err is the underlying error (wraps ErrTooFewShares).
	Err error
	// Custodians are the errors of the custodians that gave no share.
	Custodians []error
}

// Error implements error.
func (e *OpenError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	for _, c := range e.Custodians {
		b.WriteString("\n  ")
		b.WriteString(c.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *OpenError) Unwrap() error { return e.Err }

// OpenFile reads a sealed file's header from src, collects shares from its
// custodians against opts.Decision, and decrypts the rest into dst. It is
// what `accord open` does. Write dst to a temporary file and rename it on
// success: a failure part-way leaves a partial plaintext.
func OpenFile(ctx context.Context, dst io.Writer, src io.Reader, opts OpenOptions) (*Header, error) {
	h, err := ReadHeader(src)
	if err != nil {
		return nil, err
	}
	shares, errs := RequestShares(ctx, h, opts)
	if err := Open(dst, src, h, shares); err != nil {
		if errors.Is(err, ErrTooFewShares) || errors.Is(err, ErrVetoMissing) {
			return h, &OpenError{Err: err, Custodians: errs}
		}
		return h, err
	}
	return h, nil
}

// FetchLabels reads dataset id's labels from an Accord server's catalog
// (GET /v1/datasets/{id}): the catalog entry without its id and times.
func FetchLabels(ctx context.Context, hc *http.Client, server, token, id string) ([]byte, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/v1/datasets/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch dataset %s: %w", id, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch dataset %s: %w", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch dataset %s: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch dataset %s: %s: %s", id, resp.Status, bytes.TrimSpace(body))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("fetch dataset %s: %w", id, err)
	}
	for _, k := range []string{"id", "created", "updated"} {
		delete(m, k)
	}
	return json.Marshal(m)
}

// LogSeal asks an Accord server to log that h was sealed
// (POST /v1/seals, operator role) and returns the seal entry's index and
// the private record behind it, for the sealer to keep.
func LogSeal(ctx context.Context, hc *http.Client, server, token string, h *Header) (uint64, *ledger.Private, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	body, err := json.Marshal(map[string][]byte{"header": h.Raw()})
	if err != nil {
		return 0, nil, fmt.Errorf("log seal: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(server, "/")+"/v1/seals", bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("log seal: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("log seal: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("log seal: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return 0, nil, fmt.Errorf("log seal: %s: %s", resp.Status, bytes.TrimSpace(raw))
	}
	var out struct {
		Index   uint64         `json:"index"`
		Private ledger.Private `json:"private"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return 0, nil, fmt.Errorf("log seal: %w", err)
	}
	return out.Index, &out.Private, nil
}
