package custody

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
)

// sealRecord is the private record behind a seal entry.
type sealRecord struct {
	Dataset string `json:"dataset"`
	KeyID   string `json:"key_id"`
	Header  string `json:"header"`
}

// CommitmentsDigest is hex SHA-256 of the header's k commitments followed
// by each veto commitment, in header order: what a seal entry publishes
// of them.
func (h *Header) CommitmentsDigest() string {
	d := sha256.New()
	for _, c := range h.Commitments {
		d.Write(c)
	}
	for _, c := range h.Custodians {
		d.Write(c.Veto)
	}
	return hex.EncodeToString(d.Sum(nil))
}

// SealEntry builds the log entry recording that h was sealed: the dataset
// (subject), the custodians' ids, k (threshold) and the commitments'
// digest; never key material. The private record holds the key id and the
// header's digest.
func SealEntry(h *Header, at time.Time) (ledger.Entry, ledger.Private, error) {
	e, p, err := ledger.NewRecord(ledger.KindSeal, at, sealRecord{Dataset: h.Dataset, KeyID: h.KeyID, Header: h.Digest()})
	if err != nil {
		return ledger.Entry{}, ledger.Private{}, err
	}
	e.Subject = h.Dataset
	e.Threshold = h.K
	e.Digest = h.CommitmentsDigest()
	for _, c := range h.Custodians {
		e.Custodians = append(e.Custodians, c.ID)
	}
	if err := e.Validate(); err != nil {
		return ledger.Entry{}, ledger.Private{}, err
	}
	return e, p, nil
}
