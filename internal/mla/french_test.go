package mla

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/locale"
)

// TestErrorsInFrench: the errors a user reads from accord mla and the API
// are written in French for a French reader, with their English text (and
// the sentinel each wraps) unchanged.
func TestErrorsInFrench(t *testing.T) {
	badID := spec()
	badID.ID = "MLA 42"
	own := spec()
	own.RequestedState = "FR"
	tests := []struct {
		name   string
		err    func() error
		is     error
		en, fr string
	}{
		{"bad id", func() error { return second2(Open(badID, frPolice, t0, DefaultTerms)) }, ErrInvalid,
			`invalid case input: case id "MLA 42": use 1-48 letters, digits or ._:/-`,
			`données de dossier invalides : identifiant de dossier "MLA 42" : utilisez de 1 à 48 lettres, chiffres ou ._:/-`},
		{"own state", func() error { return second2(Open(own, frPolice, t0, DefaultTerms)) }, ErrInvalid,
			"invalid case input: case MLA-2026-0042: fr-ofac cannot ask its own state FR for mutual legal assistance",
			"données de dossier invalides : dossier MLA-2026-0042 : fr-ofac ne peut pas demander l'entraide judiciaire à son propre État FR"},
		{"receive by police", func() error { return second(opened(t, Opened).Receive(cnMPS, t0)) }, ErrForbidden,
			"not allowed to act on this case: case MLA-2026-0042: only a central authority of CN may receive it; cn-mps is state-authority/law-enforcement of CN",
			"action non permise sur ce dossier : dossier MLA-2026-0042 : seule une autorité centrale de CN peut faire « receive » ; cn-mps est state-authority/law-enforcement de CN"},
		{"accept before receipt", func() error { return second(opened(t, Opened).Accept(cnMOJ, t0)) }, ErrState,
			"transition not allowed from the case's state: case MLA-2026-0042 is opened; cannot accept it",
			"transition non permise depuis l'état du dossier : le dossier MLA-2026-0042 est à l'état « opened » ; « accept » n'est pas possible"},
		{"narrow to more than requested", func() error {
			wide := spec().Scope
			wide.MaxRecords = 5000
			return second(opened(t, Received).Narrow(cnMOJ, t0, wide))
		}, ErrBeyondScope,
			"beyond the scope granted: case MLA-2026-0042: a narrowing cannot grant more than was requested: 5000 records, where 1000 were requested",
			"au-delà de la portée accordée : dossier MLA-2026-0042 : une restriction ne peut accorder plus que ce qui a été demandé : enregistrements : 5000 (demandés : 1000)"},
		{"refusal ground", func() error { return second(opened(t, Received).Refuse(cnMOJ, t0, "because")) }, ErrInvalid,
			`invalid case input: refusal ground "because" is not one of [sovereignty-security-public-order political-offence military-offence dual-criminality ne-bis-in-idem insufficient-information data-not-held third-state-data other]`,
			`données de dossier invalides : le motif de refus "because" ne fait pas partie de [sovereignty-security-public-order political-offence military-offence dual-criminality ne-bis-in-idem insufficient-information data-not-held third-state-data other]`},
		{"lapsed", func() error {
			c := opened(t, Accepted)
			req := request(map[string]int64{"CN": 1})
			return second(c.Execute(mailco, c.ValidTo, req, Exclude(req, c.Parties(), nil), ""))
		}, ErrState,
			"transition not allowed from the case's state: case MLA-2026-0042: the authorization lapsed at 2027-01-31T09:00:00Z",
			"transition non permise depuis l'état du dossier : dossier MLA-2026-0042 : l'autorisation a expiré le 2027-01-31T09:00:00Z"},
		{"closed twice", func() error {
			c := opened(t, Executed)
			if _, err := c.Close(cnMOJ, t0); err != nil {
				return err
			}
			return second(c.Close(cnMOJ, t0))
		}, ErrState,
			"transition not allowed from the case's state: case MLA-2026-0042 is already closed",
			"transition non permise depuis l'état du dossier : le dossier MLA-2026-0042 est déjà clos"},
		{"busy", func() error {
			s, _, _ := service()
			c, err := s.Open(context.Background(), frPolice, spec())
			if err != nil {
				return err
			}
			c.History[0].LogIndex = nil
			c.Version++
			if err := s.Cases.Put(context.Background(), c); err != nil {
				return err
			}
			return second(s.Receive(context.Background(), c.ID, cnMOJ))
		}, ErrConflict,
			"case MLA-2026-0042: step 1 (opened): case changed concurrently: a transition is being logged",
			"dossier MLA-2026-0042 : étape 1 (opened) : dossier modifié en parallèle : une transition est en cours de journalisation"},
		{"not found", func() error { s, _, _ := service(); return second(s.Receive(context.Background(), "MLA-1", cnMOJ)) }, ErrNotFound,
			"case MLA-1: case not found",
			"dossier MLA-1 : dossier introuvable"},
		{"deadlines", func() error {
			return Deadlines{ByAgreement: map[string]Terms{"x": {Answer: 48 * time.Hour}}}.Validate()
		}, nil,
			"deadlines agreements.x: answer, execute and validity must all be positive durations (got 48h0m0s, 0s, 0s)",
			"délais agreements.x : answer, execute et validity doivent tous être des durées positives (reçu 48h0m0s, 0s, 0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if err.Error() != tt.en {
				t.Errorf("English\n got %s\nwant %s", err, tt.en)
			}
			fr := locale.For("fr")
			if got := locale.Text(fr, err); got != tt.fr {
				t.Errorf("French\n got %s\nwant %s", got, tt.fr)
			}
			if m := fr.Missing(); len(m) > 0 {
				t.Errorf("French lacks %q", m)
			}
		})
	}
}

func second2[A, B any](_ A, _ B, err error) error { return err }
