// Package model holds Accord's vocabulary: the request someone makes about
// data, the decision Accord gives, and the pieces both are made of.
//
// The JSON field names here are the contract with users (see
// docs/concepts.md and docs/schema/). Every other package speaks in these
// types; model itself imports nothing of Accord's.
package model

import "time"

// Action is what a requester wants to do with data.
type Action string

// The actions a request may name.
const (
	ActionAccess   Action = "access"
	ActionTransfer Action = "transfer"
	ActionDisclose Action = "disclose"
	ActionCollect  Action = "collect"
	ActionModify   Action = "modify"
	ActionDelete   Action = "delete"
	ActionLocalize Action = "localize"
	// ActionNotify sends a notice (such as a vendor's vulnerability
	// advisory) to users. It carries no one's data: a request to notify
	// that counts data subjects or devices, names a personal category or
	// marks critical-infrastructure data is bad input (send people's data
	// with disclose).
	ActionNotify Action = "notify"
)

// Actions lists every valid Action, in the order documented.
var Actions = []Action{ActionAccess, ActionTransfer, ActionDisclose, ActionCollect, ActionModify, ActionDelete, ActionLocalize, ActionNotify}

// ActionRequires lists, for each action, the request members it cannot be
// judged without beyond those every request needs (action, requester,
// data.location). A request that lacks one is bad input naming it: a
// missing fact never loosens a rule. Data that is sent, disclosed or
// collected goes somewhere, and where it goes decides most rules.
var ActionRequires = map[Action][]string{
	ActionTransfer: {"destination"},
	ActionDisclose: {"destination"},
}

// Purpose is why the requester wants the data.
type Purpose string

// The purposes a request may name.
const (
	PurposeCommercial       Purpose = "commercial"
	PurposeResearch         Purpose = "research"
	PurposeLawEnforcement   Purpose = "law-enforcement"
	PurposeNationalSecurity Purpose = "national-security"
	PurposeRepatriation     Purpose = "repatriation"
	PurposeMaintenance      Purpose = "maintenance"
	PurposeEmployment       Purpose = "employment"
	PurposeEmergency        Purpose = "emergency"
	// PurposeLitigation is civil or administrative proceedings: a court
	// order in a civil case, discovery, an administrative authority's
	// decision. GDPR art. 48 covers it as it covers criminal matters.
	PurposeLitigation Purpose = "litigation"
)

// Purposes lists every valid Purpose.
var Purposes = []Purpose{PurposeCommercial, PurposeResearch, PurposeLawEnforcement, PurposeNationalSecurity, PurposeRepatriation, PurposeMaintenance, PurposeEmployment, PurposeEmergency, PurposeLitigation}

// Request is what someone wants to do with data: who asks, on which data,
// where it would go, why, and on what legal basis.
type Request struct {
	// Action is required.
	Action Action `json:"action"`
	// Requester is who asks: the exporter, the importer, a state authority,
	// or someone acting on behalf of one. It is required in a request file;
	// the server replaces it with the principal bound to the caller's
	// credential.
	Requester Principal `json:"requester"`
	// OnBehalfOf names the principal a company acts for, when a company acts
	// for a state. Nil when the requester acts for itself.
	OnBehalfOf *Principal `json:"on_behalf_of"`
	// Exporter is the party that holds the data and sends it or gives
	// access to it: the U.S. person under the US DSP, the personal
	// information processor under China's PIPL, the controller or processor
	// under the GDPR. Nil when the request does not say; packs then read
	// the request as before parties existed (see docs/concepts.md). On the
	// server it is a registered principal, by default the holder of the
	// dataset the request names.
	Exporter *Principal `json:"exporter"`
	// Importer is the party that receives or reads the data: the foreign
	// person or covered person under the US DSP, the overseas recipient
	// under the PIPL, the data importer under the GDPR. Nil when not said.
	// On the server it is a registered principal.
	Importer *Principal `json:"importer"`
	// Data describes the data concerned. data.location is required.
	Data Data `json:"data"`
	// Destination is the jurisdiction the data would go to or be read from.
	Destination string `json:"destination,omitempty"`
	// Purpose is why the data is wanted.
	Purpose Purpose `json:"purpose,omitempty"`
	// Transaction is the kind of commercial transaction the access is part
	// of, where a regime cares: one of Transactions (US DSP: data-brokerage,
	// vendor, employment, investment; China's Provisions art. 5(1): the
	// contracts with the individual). Empty when none. A value outside
	// Transactions is bad input, never an unknown kind that fires nothing.
	Transaction string `json:"transaction,omitempty"`
	// Frequency says whether the transfer is occasional or part of a
	// systematic flow (one of Frequencies). GDPR art. 49(1) derogations are
	// for occasional transfers. Empty when not said.
	Frequency string `json:"frequency,omitempty"`
	// Selectors say how narrowly the data is picked.
	Selectors Selectors `json:"selectors"`
	// Basis is the legal basis claimed.
	Basis Basis `json:"basis"`
	// Time is when the access would happen. Pack parameters in force at
	// this time apply. Zero means "now" at decision time.
	Time time.Time `json:"time"`
	// Recipient is the requester's HPKE public key (X25519, standard
	// base64) to which custodians seal a released key share (see
	// internal/custody). It binds a decision to the holder of that key: it
	// is in the decision's private record, and a custodian releases only to
	// it. Empty when no sealed dataset is to be opened.
	Recipient string `json:"recipient,omitempty"`
	// History, when given in a request file, stands in for the server's
	// cumulative counters so that `accord check` can exercise threshold
	// rules offline. The server rejects a body that carries it.
	History *History `json:"history,omitempty"`
}

// The transaction kinds a request may name.
const (
	// Covered data transactions of 28 CFR § 202.210.
	TransactionDataBrokerage = "data-brokerage" // § 202.214
	TransactionVendor        = "vendor"         // § 202.258
	TransactionEmployment    = "employment"     // § 202.217
	TransactionInvestment    = "investment"     // § 202.228
	// Contracts to which the individual is a party (China, Provisions art.
	// 5(1)).
	TransactionCrossBorderShopping       = "cross-border-shopping"
	TransactionCrossBorderDelivery       = "cross-border-delivery"
	TransactionCrossBorderRemittance     = "cross-border-remittance"
	TransactionCrossBorderPayment        = "cross-border-payment"
	TransactionCrossBorderAccountOpening = "cross-border-account-opening"
	TransactionTravelBooking             = "travel-booking"
	TransactionVisaApplication           = "visa-application"
	TransactionExaminationServices       = "examination-services"
)

// Transactions lists every valid Request.Transaction.
var Transactions = []string{
	TransactionDataBrokerage, TransactionVendor, TransactionEmployment, TransactionInvestment,
	TransactionCrossBorderShopping, TransactionCrossBorderDelivery, TransactionCrossBorderRemittance,
	TransactionCrossBorderPayment, TransactionCrossBorderAccountOpening, TransactionTravelBooking,
	TransactionVisaApplication, TransactionExaminationServices,
}

// The transfer frequencies a request may name.
const (
	// FrequencyOccasional is a one-off or occasional transfer, outside the
	// regular course of business (EDPB Guidelines 2/2018).
	FrequencyOccasional = "occasional"
	// FrequencySystematic is a transfer that is part of a regular,
	// repeated or stable flow.
	FrequencySystematic = "systematic"
)

// Frequencies lists every valid Request.Frequency.
var Frequencies = []string{FrequencyOccasional, FrequencySystematic}

// Principal is a party: a state authority, a company, an individual.
type Principal struct {
	// ID identifies the principal in the registry or the store.
	ID string `json:"id"`
	// Kind is one of the PrincipalKind values.
	Kind string `json:"kind"`
	// Role is what the principal does (law-enforcement, intelligence,
	// regulator, judicial, central-authority, vendor, processor, ...).
	Role string `json:"role,omitempty"`
	// Jurisdiction is the state whose law the principal is organised under
	// (for an individual: nationality). ISO 3166-1 alpha-2.
	Jurisdiction string `json:"jurisdiction"`
	// Headquarters is the state of the principal place of business, when it
	// differs from Jurisdiction.
	Headquarters string `json:"headquarters,omitempty"`
	// Owners gives ownership shares in percent by the owner's state, for
	// rules on control (US DSP: 50 % or more owned by a country of concern).
	Owners map[string]float64 `json:"owners,omitempty"`
	// Residence is where an individual primarily resides.
	Residence string `json:"residence,omitempty"`
	// Employer is the state of an individual's employer, when relevant.
	Employer string `json:"employer,omitempty"`
	// CIIO marks a critical information infrastructure operator.
	CIIO bool `json:"ciio,omitempty"`
}

// The kinds of principal.
const (
	KindStateAuthority = "state-authority"
	KindCompany        = "company"
	KindIndividual     = "individual"
	KindOrganization   = "organization"
)

// PrincipalKinds lists every valid principal kind.
var PrincipalKinds = []string{KindStateAuthority, KindCompany, KindIndividual, KindOrganization}

// Data describes the data a request concerns. Labels may come from the
// catalog when Dataset is given.
type Data struct {
	// Dataset names a catalogued dataset; its labels then come from the
	// catalog.
	Dataset string `json:"dataset,omitempty"`
	// Location is where the data is stored. Required.
	Location string `json:"location"`
	// Origin lists where the data was generated or collected.
	Origin []string `json:"origin,omitempty"`
	// Categories are dotted taxonomy names (see Categories).
	Categories []string `json:"categories,omitempty"`
	// Subjects counts data subjects by jurisdiction.
	Subjects map[string]int64 `json:"subjects,omitempty"`
	// SubjectsByCategory counts data subjects per category, then per
	// jurisdiction, for data whose categories hold different numbers of
	// people ("900 health records and 150,000 identifiers"). Each category
	// must be one of Categories. A category it leaves out holds Subjects.
	// When given, Subjects[state] is the number of distinct people of
	// state across all categories: at least the largest category's count
	// (else the request is refused), and, when left out, derived as the
	// sum over categories (CheckSubjects), the stricter reading since the
	// request does not say whether the categories hold the same people.
	SubjectsByCategory map[string]map[string]int64 `json:"subjects_by_category,omitempty"`
	// Records counts records.
	Records int64 `json:"records,omitempty"`
	// Devices counts devices, for data counted by device (precise
	// geolocation under the US DSP).
	Devices int64 `json:"devices,omitempty"`
	// Classification is general, important or core (China's DSL grading).
	Classification string `json:"classification,omitempty"`
	// CII marks critical-infrastructure data and the state it belongs to.
	CII *CII `json:"cii"`
	// Protections lists technical protections applied (encrypted,
	// pseudonymized, deidentified, anonymized). Regimes decide whether they
	// matter; under the US DSP they do not take data out of scope.
	Protections []string `json:"protections,omitempty"`
}

// The data classifications.
const (
	ClassGeneral   = "general"
	ClassImportant = "important"
	ClassCore      = "core"
)

// Classifications lists every valid classification.
var Classifications = []string{ClassGeneral, ClassImportant, ClassCore}

// Protections lists every valid value of Data.Protections.
var Protections = []string{"encrypted", "pseudonymized", "deidentified", "anonymized"}

// CII marks data of a critical information infrastructure.
type CII struct {
	// State is the state whose critical infrastructure the data belongs to.
	State string `json:"state"`
	// Sector is the infrastructure sector (energy, finance, transport, ...).
	Sector string `json:"sector,omitempty"`
}

// Selectors say how the data is picked: a few named records or in bulk.
type Selectors struct {
	// Kind is "specific" or "bulk".
	Kind string `json:"kind,omitempty"`
	// Count is the number of selectors (identifiers, accounts) named.
	Count int64 `json:"count,omitempty"`
}

// The selector kinds.
const (
	SelectorSpecific = "specific"
	SelectorBulk     = "bulk"
)

// Basis is the legal basis a request claims.
type Basis struct {
	// Kind is one of BasisKinds (mla, agreement, consent, contract,
	// authorization, emergency, legal-obligation, none).
	Kind string `json:"kind,omitempty"`
	// Ref is the reference of the case or instrument (e.g. MLA-2026-0042).
	Ref string `json:"ref,omitempty"`
	// Agreement names a registry agreement by id.
	Agreement string `json:"agreement,omitempty"`
	// Authorizations carries signed authorizations (DSSE envelopes) by the
	// authorities of the states concerned. They are verified before any pack
	// sees them; packs only see which states have authorized.
	Authorizations []Envelope `json:"authorizations"`
	// Measures lists safeguards and formalities the requester attests to:
	// onward-transfer-clause, cisa-security-requirements, scc, bcr,
	// dpf-certified, standard-contract, certification, security-assessment,
	// separate-consent, notice, and so on. Packs name the ones they accept.
	// A measure a pack marks as the data holder's approval
	// (customer-approval) is not the requester's to attest in a binding
	// request: the server adds it from an approval on file (package
	// approval); a non-binding check takes it as a what-if.
	Measures []string `json:"measures,omitempty"`
}

// BasisKinds lists every valid Basis.Kind.
var BasisKinds = []string{"mla", "agreement", "consent", "contract", "authorization", "emergency", "legal-obligation", "none"}

// Envelope is a DSSE envelope (https://github.com/secure-systems-lab/dsse):
// a signed statement. Accord's authorizations travel in this form.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one signature over a DSSE envelope.
type Signature struct {
	KeyID string `json:"keyid,omitempty"`
	Sig   string `json:"sig"`
}

// History holds cumulative counts that threshold rules need, so that a
// request cannot be split into many small ones under a threshold. Keys are
// subject jurisdiction, then category.
type History struct {
	// Rolling12m counts over the preceding 12 months (US DSP).
	Rolling12m map[string]map[string]Count `json:"rolling_12m,omitempty"`
	// YearToDate counts since 1 January of the current year (China).
	YearToDate map[string]map[string]Count `json:"year_to_date,omitempty"`
	// Source, on the server, answers every sum from the counters kept by
	// scope (see CounterScope); the maps above are then empty. It is never
	// encoded.
	Source CounterSource `json:"-"`
}

// Count is a cumulative count of data subjects and devices.
type Count struct {
	Subjects int64 `json:"subjects"`
	Devices  int64 `json:"devices,omitempty"`
}
