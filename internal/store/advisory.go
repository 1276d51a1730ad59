package store

import (
	"context"
	"fmt"
	"time"
)

// Advisories keeps what GDSI commitment 8 needs (package advisory):
// deployments and the components their SBOMs list, vendors' advisory
// signing keys, published advisories, and the outbox of notices. It is
// separate from Store: a driver that implements it says so by satisfying
// it (both sqlite and postgres do).
type Advisories interface {
	// CreateDeployment adds d; ErrConflict if its id exists, ErrInvalid if
	// a required field is empty.
	CreateDeployment(ctx context.Context, d Deployment) error
	// Deployment returns one deployment; ErrNotFound if there is none.
	Deployment(ctx context.Context, id string) (Deployment, error)
	// ListDeployments returns the deployments of owner ("" for all),
	// ordered by id.
	ListDeployments(ctx context.Context, owner string) ([]Deployment, error)
	// ImportSBOM replaces the components of deployment s.Deployment with
	// comps, records s, and queues notices (see AddNotices), all in one
	// transaction; ErrNotFound if the deployment does not exist.
	ImportSBOM(ctx context.Context, s SBOM, comps []Component, notices []Notice) error
	// ListComponents returns the components of one deployment ("" for
	// all), ordered by deployment then purl.
	ListComponents(ctx context.Context, deployment string) ([]Component, error)
	// PutVendorKey records the key a vendor signs advisories with,
	// replacing any earlier one.
	PutVendorKey(ctx context.Context, k VendorKey) error
	// VendorKey returns a vendor's key; ErrNotFound if there is none.
	VendorKey(ctx context.Context, vendor string) (VendorKey, error)
	// PublishAdvisory stores a and queues its notices in one transaction;
	// ErrConflict if the vendor published an advisory with that id before.
	PublishAdvisory(ctx context.Context, a AdvisoryRecord, notices []Notice) error
	// Advisory returns one advisory by its key; ErrNotFound if none.
	Advisory(ctx context.Context, key string) (AdvisoryRecord, error)
	// ListAdvisories returns every advisory, oldest first.
	ListAdvisories(ctx context.Context) ([]AdvisoryRecord, error)
	// DueNotices returns up to limit pending notices whose next attempt is
	// at or before now, oldest first.
	DueNotices(ctx context.Context, now time.Time, limit int) ([]Notice, error)
	// ClaimNotice leases a due notice to one deliverer until until: it
	// succeeds (true) only if the notice is still pending with the given
	// attempts and next attempt, so that two processes sharing the
	// database never deliver (and log) the same attempt twice.
	ClaimNotice(ctx context.Context, n Notice, until time.Time) (bool, error)
	// UpdateNotice writes a notice's delivery state (state, attempts,
	// next attempt, last status, delivered, log index); ErrNotFound if its
	// webhook id is unknown.
	UpdateNotice(ctx context.Context, n Notice) error
	// ListNotices returns the notices in state ("" for all), oldest first.
	ListNotices(ctx context.Context, state string) ([]Notice, error)
}

// Deployment is a system an organisation runs, whose components its SBOM
// lists, and where notices about it go.
type Deployment struct {
	ID string `json:"id"`
	// Owner is the principal that registered it.
	Owner string `json:"owner"`
	// WebhookURL is where notices are POSTed.
	WebhookURL string `json:"webhook_url"`
	// WebhookSecret is the Standard Webhooks secret (whsec_…) notices are
	// signed with. It is shown once, when the deployment is created.
	WebhookSecret string `json:"-"`
	// ContactRole names who acts on a notice (a role, never a person).
	ContactRole string `json:"contact_role"`
	// Created is set by the caller from the server's clock.
	Created time.Time `json:"created"`
}

// Component is one package a deployment runs, as its SBOM lists it.
type Component struct {
	Deployment string `json:"deployment"`
	// PURL is the package URL as given (with version).
	PURL string `json:"purl,omitempty"`
	// Key is the purl without version: pkg:type/namespace/name.
	Key string `json:"key,omitempty"`
	// Version is the purl's version ("" if none).
	Version string `json:"version,omitempty"`
	// CPE is the CPE 2.3 name, when the SBOM gives one.
	CPE string `json:"cpe,omitempty"`
	// Name is the component's name in the SBOM.
	Name string `json:"name"`
}

// SBOM is the record of one import: which deployment, which format, the
// digest of the document, how many components.
type SBOM struct {
	Deployment string    `json:"deployment"`
	Format     string    `json:"format"`
	Digest     string    `json:"digest"`
	Components int       `json:"components"`
	Created    time.Time `json:"created"`
}

// VendorKey is the Ed25519 public key a vendor principal signs advisories
// with (standard base64 of the 32 raw bytes), and where the log recorded it.
type VendorKey struct {
	Vendor    string    `json:"vendor"`
	PublicKey string    `json:"public_key"`
	LogIndex  uint64    `json:"log_index"`
	Created   time.Time `json:"created"`
}

// AdvisoryRecord is a published advisory.
type AdvisoryRecord struct {
	// Key is vendor + "/" + ID: unique.
	Key    string `json:"key"`
	Vendor string `json:"vendor"`
	ID     string `json:"id"`
	// Format is osv or csaf.
	Format string `json:"format"`
	// Document is the advisory as published (the DSSE payload).
	Document []byte `json:"-"`
	// Envelope is the DSSE envelope as received.
	Envelope []byte `json:"-"`
	// Severity is critical, high, medium, low or none.
	Severity string `json:"severity"`
	// Flags are the remedy lint's rule ids ("" none).
	Flags []string `json:"flags,omitempty"`
	// Affected counts the deployments affected when it was published.
	Affected int `json:"affected"`
	// LogIndex is where its advisory entry is.
	LogIndex uint64 `json:"log_index"`
	// Published is the server's time of publication.
	Published time.Time `json:"published"`
	// Discovered is the vendor's stated discovery date (zero: not given).
	Discovered time.Time `json:"discovered,omitzero"`
}

// Notice states.
const (
	NoticePending   = "pending"
	NoticeDelivered = "delivered"
	NoticeDead      = "dead"
)

// Notice is one message of the outbox: an advisory affecting a deployment.
type Notice struct {
	// WebhookID is the Standard Webhooks message id, kept across retries.
	WebhookID   string `json:"webhook_id"`
	AdvisoryKey string `json:"advisory"`
	Deployment  string `json:"deployment"`
	// Payload is the JSON body POSTed.
	Payload []byte `json:"-"`
	// State is pending, delivered or dead.
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// LastStatus is the last HTTP status (0: no answer).
	LastStatus int       `json:"last_status,omitempty"`
	Created    time.Time `json:"created"`
	Delivered  time.Time `json:"delivered,omitzero"`
	// LogIndex is where its notice entry is (0 with Logged false: not yet).
	LogIndex uint64 `json:"log_index,omitempty"`
	Logged   bool   `json:"logged"`
}

// Validate checks the fields a deployment must have.
func (d Deployment) Validate() error {
	switch {
	case d.ID == "":
		return fmtInvalid("deployment: id is required")
	case d.Owner == "":
		return fmtInvalid("deployment %s: owner is required", d.ID)
	case d.WebhookURL == "" || d.WebhookSecret == "":
		return fmtInvalid("deployment %s: webhook url and secret are required", d.ID)
	}
	return nil
}

// Validate checks the fields a notice must have.
func (n Notice) Validate() error {
	if n.WebhookID == "" || n.AdvisoryKey == "" || n.Deployment == "" {
		return fmtInvalid("notice: webhook id, advisory and deployment are required")
	}
	switch n.State {
	case NoticePending, NoticeDelivered, NoticeDead:
	default:
		return fmtInvalid("notice %s: state %q is not pending, delivered or dead", n.WebhookID, n.State)
	}
	return nil
}

func fmtInvalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
