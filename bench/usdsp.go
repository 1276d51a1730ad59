package bench

import (
	"io/fs"
	"time"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/policy"
	"github.com/accord-dev/accord/internal/registry"
)

// usdspRequest is a data-brokerage request of US people's data to dest at t.
func usdspRequest(dest string, t time.Time, cats []string, us, devices int64) *model.Request {
	return &model.Request{
		Action:      model.ActionTransfer,
		Requester:   model.Principal{ID: "broker-us", Kind: model.KindCompany, Jurisdiction: "US"},
		Data:        model.Data{Location: "US", Categories: cats, Subjects: map[string]int64{"US": us}, Records: us, Devices: devices},
		Destination: dest,
		Purpose:     model.PurposeCommercial,
		Transaction: "data-brokerage",
		Time:        t,
	}
}

// USDSPCases are the threshold cases: each bulk threshold just over and
// exactly at its figure ("more than N"), cumulative with history, a
// combined data set, a destination that is not of concern, and a date
// before the rule took effect.
func USDSPCases() []*Case {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	before := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	hist := func(cat string, subjects, devices int64) *model.History {
		return &model.History{Rolling12m: map[string]map[string]model.Count{"US": {cat: {Subjects: subjects, Devices: devices}}}}
	}
	c := func(name string, r *model.Request, h *model.History, out model.Outcome, rules ...string) *Case {
		if rules == nil {
			rules = []string{}
		}
		return &Case{Name: name, Pack: "usdsp-thresholds", Request: r, History: h, Outcome: out, Rules: rules}
	}
	return []*Case{
		c("§ 202.205(a): 101 US persons' genomic data to CN is bulk", usdspRequest("CN", now, []string{"personal.genomic"}, 101, 0), nil, model.Deny, "usdsp-t-genomic"),
		c("§ 202.205(a): exactly 100 is not more than 100", usdspRequest("CN", now, []string{"personal.genomic"}, 100, 0), nil, model.Allow),
		c("§ 202.205(a): 60 now + 41 in 12 months is bulk", usdspRequest("CN", now, []string{"personal.genomic"}, 60, 0), hist("personal.genomic", 41, 0), model.Deny, "usdsp-t-genomic"),
		c("§ 202.205(a): 'omic over 1,000", usdspRequest("CN", now, []string{"personal.omic.proteomic"}, 1001, 0), nil, model.Deny, "usdsp-t-omic"),
		c("§ 202.205(b): biometric at 1,000 is not bulk", usdspRequest("RU", now, []string{"personal.biometric"}, 1000, 0), nil, model.Allow),
		c("§ 202.205(b): biometric over 1,000", usdspRequest("RU", now, []string{"personal.biometric"}, 1001, 0), nil, model.Deny, "usdsp-t-biometric"),
		c("§ 202.205(c): precise geolocation of 1,001 devices (history 900 + 101)", usdspRequest("IR", now, []string{"personal.geolocation.precise"}, 5, 101), hist("personal.geolocation.precise", 0, 900), model.Deny, "usdsp-t-geolocation"),
		c("§ 202.205(e): health over 10,000", usdspRequest("CN", now, []string{"personal.health"}, 10001, 0), nil, model.Deny, "usdsp-t-health"),
		c("§ 202.205(f): financial at 10,000 is not bulk", usdspRequest("CN", now, []string{"personal.financial"}, 10000, 0), nil, model.Allow),
		c("§ 202.205(d): identifiers over 100,000", usdspRequest("CN", now, []string{"personal.identifier.government"}, 100001, 0), nil, model.Deny, "usdsp-t-identifiers"),
		c("§ 202.222: government-related data at any volume", usdspRequest("CN", now, []string{"government.location"}, 1, 0), nil, model.Deny, "usdsp-t-government"),
		c("§ 202.205: combined health + financial set over the lowest threshold", usdspRequest("CN", now, []string{"personal.health", "personal.financial"}, 1, 0),
			&model.History{Rolling12m: map[string]map[string]model.Count{"US": {"personal.health": {Subjects: 6000}, "personal.financial": {Subjects: 5000}}}}, model.Deny, "usdsp-t-combined"),
		c("near miss: a destination that is not a country of concern", usdspRequest("FR", now, []string{"personal.genomic"}, 5000, 0), nil, model.Allow),
		c("near miss: before 8 April 2025 nothing applies", usdspRequest("CN", before, []string{"personal.genomic"}, 5000, 0), nil, model.Allow),
	}
}

// USDSP builds the us-dsp thresholds suite from bench/packs,
// bench/rego/usdsp.rego and bench/cedar/usdsp.cedar.
func USDSP(reg *registry.Registry) (*Suite, error) {
	packs, err := policy.Load(sources, "packs/usdsp-thresholds.yaml")
	if err != nil {
		return nil, err
	}
	rg, err := fs.ReadFile(sources, "rego/usdsp.rego")
	if err != nil {
		return nil, err
	}
	cd, err := fs.ReadFile(sources, "cedar/usdsp.cedar")
	if err != nil {
		return nil, err
	}
	return NewSuite("usdsp", Sources{Packs: packs, Pack: "usdsp-thresholds", RegoPkg: "accord.usdsp", Rego: string(rg), Cedar: cd, Context: USDSPContext}, reg, USDSPCases())
}
