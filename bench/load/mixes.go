package main

import (
	"fmt"
	"strings"
)

// mixes maps --mix to the function giving request i of the mix. Bodies
// carry no requester and no time: the server takes both from the token
// and its clock.
var mixes = map[string]func(i int) []byte{
	"cheapest": func(int) []byte { return cheapest },
	"regime":   func(i int) []byte { return regime[i%len(regime)] },
	"growth":   growth,
	"mixed":    mixed,
}

// cheapest is an access to data in the requester's own state (FR, the
// demo's acme): gdsi applies and no rule fires.
var cheapest = []byte(`{"action":"access","data":{"location":"FR","origin":["FR"],"categories":["personal.contact"],"subjects":{"FR":3},"records":3},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`)

// regime is the regime-heavy mix, shaped after the cases of
// internal/policy/packs/*_test.yaml, with the datasets of `accord serve
// --demo` (cmd/accord/serve.go demoDatasets). The outcomes noted are those
// for the demo's acme (a French processor).
var regime = [][]byte{
	// us-dsp § 202.301: brokerage of bulk U.S. health data (dataset
	// health-us, 50,000 U.S. persons) to China: deny.
	[]byte(`{"action":"transfer","data":{"dataset":"health-us"},"destination":"CN","purpose":"commercial","transaction":"data-brokerage","selectors":{"kind":"bulk"},"basis":{"kind":"contract"}}`),
	// us-dsp § 202.303: human 'omic data of 150 U.S. persons to China: deny.
	[]byte(`{"action":"transfer","data":{"location":"US","origin":["US"],"categories":["personal.genomic"],"subjects":{"US":150}},"destination":"CN","purpose":"research","transaction":"vendor","selectors":{"kind":"bulk"},"basis":{"kind":"contract"}}`),
	// us-dsp: bulk financial data of 5,000 U.S. persons to a vendor in DE
	// (not a country of concern): allow.
	[]byte(`{"action":"transfer","data":{"location":"US","origin":["US"],"categories":["personal.financial"],"subjects":{"US":5000}},"destination":"DE","purpose":"commercial","transaction":"vendor","selectors":{"kind":"bulk"},"basis":{"kind":"contract"}}`),
	// cn-cbdf: precise geolocation of 90,000 people, important data
	// (dataset rides-cn) leaving China: pending (security assessment).
	[]byte(`{"action":"transfer","data":{"dataset":"rides-cn"},"destination":"DE","purpose":"commercial","basis":{"kind":"consent","measures":["notice","separate-consent"]}}`),
	// cn-cbdf Provisions art. 8: 100,000 people's contact data: pending
	// (standard contract or certification).
	[]byte(`{"action":"transfer","data":{"location":"CN","origin":["CN"],"categories":["personal.contact"],"subjects":{"CN":100000}},"destination":"DE","purpose":"commercial","basis":{"kind":"consent","measures":["notice","separate-consent"]}}`),
	// cn-cbdf: sensitive (health) data of 9,999 people to FR: pending.
	[]byte(`{"action":"transfer","data":{"location":"CN","origin":["CN"],"categories":["personal.health"],"subjects":{"CN":9999}},"destination":"FR","purpose":"commercial","basis":{"kind":"contract","measures":["cac-standard-contract","notice"]}}`),
	// eu-gdpr art. 44: EU customers (dataset crm-eu) to the U.S. with no
	// transfer tool: pending.
	[]byte(`{"action":"transfer","data":{"dataset":"crm-eu"},"destination":"US","purpose":"commercial"}`),
	// eu-gdpr art. 46(2)(c): the same with SCCs and a transfer impact
	// assessment: allow.
	[]byte(`{"action":"transfer","data":{"dataset":"crm-eu"},"destination":"US","purpose":"commercial","basis":{"kind":"contract","measures":["scc","tia"]}}`),
	// eu-gdpr art. 49(1)(a): explicit consent for a transfer to CN: allow
	// with the derogation's conditions.
	[]byte(`{"action":"transfer","data":{"location":"FR","origin":["FR"],"categories":["personal.contact"],"subjects":{"FR":200}},"destination":"CN","purpose":"commercial","basis":{"kind":"consent","measures":["explicit-consent"]}}`),
	// eu-gdpr art. 45: health data to JP (adequacy): allow.
	[]byte(`{"action":"transfer","data":{"location":"FR","origin":["FR"],"categories":["personal.health"],"subjects":{"FR":40,"BE":2},"records":42},"destination":"JP","purpose":"commercial","basis":{"kind":"contract","measures":["scc","tia"]}}`),
	// gdsi 1, 4: access to German CII (dataset grid-de): allow with
	// obligations.
	[]byte(`{"action":"access","data":{"dataset":"grid-de"},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`),
	// gdsi 1, 4: access to personal data in DE about DE and FR subjects.
	[]byte(`{"action":"access","data":{"location":"DE","origin":["DE"],"categories":["personal.contact","personal.financial"],"subjects":{"DE":40,"FR":2},"records":42},"purpose":"commercial","selectors":{"kind":"specific","count":2}}`),
	// gdsi: logs kept in SG (dataset logs-sg) brought to FR.
	[]byte(`{"action":"transfer","data":{"dataset":"logs-sg"},"destination":"FR","purpose":"commercial"}`),
	// gdsi: a company's access to criminal-record data in its own state.
	[]byte(`{"action":"access","data":{"location":"FR","origin":["FR"],"categories":["personal.criminal"],"subjects":{"FR":1},"records":1},"purpose":"law-enforcement","selectors":{"kind":"specific","count":1}}`),
}

// growthStates are the subject states of the growth mix (ISO 3166-1
// alpha-2, all known to the default registry).
var growthStates = strings.Fields(`AE AR AT AU BD BE BG BR CA CH CL CN CO CY CZ DE DK DZ EC EE
EG ES ET FI FR GB GH GR HK HR HU ID IE IL IN IQ IR IS IT JO
JP KE KR KW KZ LB LK LT LU LV MA MX MY NG NL NO NZ OM PE PH
PK PL PT QA RO RS RU SA SE SG SI SK TH TN TR TW TZ UA UG US
UY UZ VE VN ZA ZM ZW AL AM AZ BA BH BO BY CR DO GE GT HN MN`)

// growthCategories are the personal categories of the growth mix; each
// request adds one open category cii.load-K, K < growthOpen.
var growthCategories = strings.Fields(`personal.contact personal.demographic personal.health personal.financial
personal.employment personal.communications personal.identifier.account personal.identifier.device
personal.geolocation personal.biometric personal.genomic personal.religion personal.political
personal.criminal personal.minor`)

const growthOpen = 4096

// growth returns request i of the growth mix: an access to data in FR
// about one or two subject states, under one personal category and one
// open category, with counts that vary.
func growth(i int) []byte {
	n := len(growthStates)
	s1 := growthStates[i%n]
	cat := growthCategories[(i/n)%len(growthCategories)]
	open := i % growthOpen
	subjects := fmt.Sprintf(`%q:%d`, s1, 1+i%50)
	if s2 := growthStates[(i*7+3)%n]; i%3 != 0 && s2 != s1 {
		subjects += fmt.Sprintf(`,%q:%d`, s2, 1+i%17)
	}
	return fmt.Appendf(nil, `{"action":"access","data":{"location":"FR","origin":["FR"],"categories":[%q,"cii.load-%d"],"subjects":{%s},"records":%d},"purpose":"commercial","selectors":{"kind":"specific","count":1}}`,
		cat, open, subjects, 1+i%97)
}

// mixed is cheapest, regime and growth in turn.
func mixed(i int) []byte {
	switch i % 3 {
	case 0:
		return cheapest
	case 1:
		return regime[(i/3)%len(regime)]
	}
	return growth(i / 3)
}
