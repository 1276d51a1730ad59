package authz

import (
	"slices"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
)

// TestFindingsInFrench: a finding's Message (the JSON output's and a
// decision's reason) stays English; Text writes it in French for a French
// reader of accord authz verify --request.
func TestFindingsInFrench(t *testing.T) {
	keys := testWorld()
	tests := []struct {
		name   string
		stmt   func(*Statement)
		signer string
		req    func(*model.Request)
		en, fr []string
	}{
		{name: "expired",
			stmt: func(s *Statement) { s.ValidTo = s.ValidFrom.AddDate(0, 0, 7) },
			en:   []string{"authorization FR-MJ-2026-0001 from FR expired at 2026-11-08T00:00:00Z"},
			fr:   []string{"l'autorisation FR-MJ-2026-0001 de FR a expiré le 2026-11-08T00:00:00Z"}},
		{name: "another requester acting for someone else",
			req: func(r *model.Request) {
				r.Requester = model.Principal{ID: "mailco", Kind: model.KindCompany, Jurisdiction: "FR"}
				r.OnBehalfOf = &model.Principal{ID: "us-fbi", Kind: model.KindStateAuthority, Jurisdiction: "US"}
			},
			en: []string{"authorization FR-MJ-2026-0001 from FR is granted to de-bka, not to the requester mailco or us-fbi it acts for"},
			fr: []string{"l'autorisation FR-MJ-2026-0001 de FR est accordée à de-bka, ni au demandeur mailco ni à us-fbi pour qui il agit"}},
		{name: "authority signing for another state",
			stmt:   func(s *Statement) { s.Issuer = "de-bmj" },
			signer: "de-bmj",
			en:     []string{"authorization FR-MJ-2026-0001 is issued by de-bmj, an authority of DE, not FR"},
			fr:     []string{"l'autorisation FR-MJ-2026-0001 est délivrée par de-bmj, une autorité de DE, pas de FR"}},
		{name: "subjects of a state, counts as written",
			req: func(r *model.Request) { r.Data.Subjects = map[string]int64{"FR": 2500} },
			en:  []string{"authorization FR-MJ-2026-0001 from FR covers 100 subjects of FR, request has 2500"},
			fr:  []string{"l'autorisation FR-MJ-2026-0001 de FR limite les personnes concernées de FR à 100, la demande en compte 2500"}},
		{name: "scope too narrow everywhere",
			req: func(r *model.Request) {
				r.Purpose = model.PurposeNationalSecurity
				r.Data.Dataset = ""
				r.Data.Categories = []string{"personal.health"}
				r.Selectors = model.Selectors{Kind: model.SelectorBulk, Count: 6}
				r.Data.Records = 1001
			},
			en: []string{
				`authorization FR-MJ-2026-0001 from FR is issued by fr-mj, whose role "central-authority" may not grant national-security`,
				"authorization FR-MJ-2026-0001 from FR covers purposes law-enforcement, not national-security",
				"authorization FR-MJ-2026-0001 from FR covers categories personal.contact, not personal.health",
				"authorization FR-MJ-2026-0001 from FR covers datasets crm-eu, request names no dataset",
				"authorization FR-MJ-2026-0001 from FR covers specific selectors only, request is bulk",
				"authorization FR-MJ-2026-0001 from FR covers 5 selectors, request has 6",
				"authorization FR-MJ-2026-0001 from FR covers 1000 records, request has 1001",
			},
			fr: []string{
				`l'autorisation FR-MJ-2026-0001 de FR est délivrée par fr-mj, dont le rôle "central-authority" ne peut pas accorder national-security`,
				"l'autorisation FR-MJ-2026-0001 de FR couvre les finalités law-enforcement, pas national-security",
				"l'autorisation FR-MJ-2026-0001 de FR couvre les catégories personal.contact, pas personal.health",
				"l'autorisation FR-MJ-2026-0001 de FR couvre les jeux de données crm-eu, la demande ne nomme aucun jeu de données",
				"l'autorisation FR-MJ-2026-0001 de FR ne couvre que des sélecteurs specific, la demande est bulk",
				"l'autorisation FR-MJ-2026-0001 de FR limite les sélecteurs à 5, la demande en compte 6",
				"l'autorisation FR-MJ-2026-0001 de FR limite les enregistrements à 1000, la demande en compte 1001",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, findings := evaluateChanged(t, keys, tt.stmt, tt.signer, tt.req, nil, time.Time{})
			fr := locale.For("fr")
			var en, frs []string
			for _, f := range findings {
				en = append(en, f.Message)
				frs = append(frs, f.Text(fr))
			}
			if !slices.Equal(en, tt.en) {
				t.Errorf("English:\n got %q\nwant %q", en, tt.en)
			}
			if !slices.Equal(frs, tt.fr) {
				t.Errorf("French:\n got %q\nwant %q", frs, tt.fr)
			}
			if m := fr.Missing(); len(m) > 0 {
				t.Errorf("French lacks %q", m)
			}
		})
	}
}

// TestWithinInFrench: the ways a narrowing is wider than the request read
// in French, with the counts as written.
func TestWithinInFrench(t *testing.T) {
	outer := baseStatement().Scope
	wide := *outer
	wide.MaxSubjects = 0
	wide.MaxRecords = 5000
	wide.SubjectStates = nil
	wide.Datasets = []string{"crm-eu", "hr-eu"}
	wide.Selectors = &SelectorScope{Kind: model.SelectorBulk}
	fr := locale.For("fr")
	var en, frs []string
	for _, sf := range wide.Within(outer) {
		en = append(en, sf.Detail)
		frs = append(frs, sf.Text(fr))
	}
	wantEn := []string{
		"dataset hr-eu was not requested",
		"subjects of every state, where FR were requested",
		"bulk selectors, where specific were requested",
		"any number of selectors, where 5 were requested",
		"any number of subjects, where 100 were requested",
		"5000 records, where 1000 were requested",
	}
	wantFr := []string{
		"le jeu de données hr-eu n'a pas été demandé",
		"des personnes concernées de tous les États, alors que celles de FR ont été demandées",
		"des sélecteurs bulk, alors que des sélecteurs specific ont été demandés",
		"sélecteurs : sans limite (demandés : 5)",
		"personnes concernées : sans limite (demandées : 100)",
		"enregistrements : 5000 (demandés : 1000)",
	}
	if !slices.Equal(en, wantEn) {
		t.Errorf("English:\n got %q\nwant %q", en, wantEn)
	}
	if !slices.Equal(frs, wantFr) {
		t.Errorf("French:\n got %q\nwant %q", frs, wantFr)
	}
	if m := fr.Missing(); len(m) > 0 {
		t.Errorf("French lacks %q", m)
	}
}
