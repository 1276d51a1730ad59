# The gdsi pack (internal/policy/packs/gdsi.yaml) written as Rego (OPA v1).
# Rule ids and conditions follow the pack one for one; see the pack for the
# citations. `fired` holds every rule whose `when` is true; `unsatisfied`
# holds every require rule whose `when` is true and whose `satisfiedBy` is
# false. data.accord_data.params holds the pack's dated parameters, data.accord_data.agreements the
# registry's agreements (parties, purposes, validity in Unix nanoseconds).
package accord.gdsi

result := {"fired": fired, "unsatisfied": unsatisfied}

# ---------------------------------------------------------------- helpers
acting := input.requester.jurisdiction if {
	input.requester.kind == "state-authority"
} else := input.on_behalf_of.jurisdiction if {
	input.on_behalf_of.kind == "state-authority"
} else := ""

location := input.data.location

destination := object.get(input, "destination", "")

purpose := object.get(input, "purpose", "")

basis_kind := object.get(input.basis, "kind", "")

agreement := object.get(input.basis, "agreement", "")

measures := object.get(input.basis, "measures", [])

role := object.get(input.requester, "role", "")

authorized := {s | some s in object.get(input, "authorized", [])}

categories := object.get(input.data, "categories", [])

obtaining := {"access", "collect", "transfer", "disclose"}

under(c, p) if c == p

under(c, p) if startswith(c, concat("", [p, "."]))

personal if {
	some c in categories
	under(c, "personal")
}

subject_states := {s | some s, n in object.get(input.data, "subjects", {}); n > 0}

# The states whose people are concerned: the subject states, else the
# data's origin and location.
concerned := subject_states if {
	count(subject_states) > 0
} else := {s | some s in array.concat(object.get(input.data, "origin", []), [location])}

origins := input.data.origin if {
	count(object.get(input.data, "origin", [])) > 0
} else := [location]

bulk if input.selectors.kind == "bulk"

bulk if input.selectors.count >= params.bulk_min_selectors

cii_state := input.data.cii.state if {
	input.data.cii.state != ""
} else := ""

cii_foreign if {
	cii_state != ""
	cii_state != input.requester.jurisdiction
}

cii_foreign if {
	cii_state != ""
	acting != ""
	acting != cii_state
}

# cumulative("12m", s, "personal"): history plus this request.
cumulative_personal(s) := h + c if {
	h := sum([n.subjects | some cat, n in object.get(object.get(object.get(input, "history", {}), "rolling_12m", {}), s, {}); under(cat, "personal")])
	c := object.get(object.get(input.data, "subjects", {}), s, 0)
}

bulk_states := {s |
	some s in subject_states
	s != acting
	cumulative_personal(s) >= params.bulk_min_subjects
}

now_ns := time.parse_rfc3339_ns(input.time)

# in_window(v): v.valid_from <= request time < v.valid_to (0: open-ended).
in_window(v) if {
	now_ns >= v.valid_from
	v.valid_to == 0
}

in_window(v) if {
	now_ns >= v.valid_from
	now_ns < v.valid_to
}

# params: the pack's parameters in force at the request's time, computed
# once per query (a complete rule), read as params.<name>.
params := {name: v.value |
	some name, vs in data.accord_data.params
	some v in vs
	in_window(v)
}

covers(id, a, b, p) if {
	a != b
	ag := data.accord_data.agreements[id]
	in_window(ag)
	a in ag.parties
	b in ag.parties
	p in ag.purposes
}

seeking := acting if {
	acting != ""
} else := destination if {
	destination != ""
} else := input.requester.jurisdiction

blank(id) if regex.match(`^\s*$`, id)

# ---------------------------------------------------------------- 1 ----
fired contains "gdsi-1-evidence" if input.requester.jurisdiction != location

fired contains "gdsi-1-evidence" if {
	destination != ""
	destination != location
}

fired contains "gdsi-1-evidence" if {
	acting != ""
	acting != location
}

# ---------------------------------------------------------------- 2 ----
cii_authorization if {
	cii_foreign
	input.action in {"modify", "delete", "transfer", "disclose"}
}

fired contains "gdsi-2-cii-authorization" if cii_authorization

unsatisfied contains "gdsi-2-cii-authorization" if {
	cii_authorization
	not cii_state in authorized
}

fired contains "gdsi-2-cii-alteration" if {
	cii_foreign
	input.action in {"modify", "delete"}
	not cii_state in authorized
}

# ---------------------------------------------------------------- 3 ----
fired contains "gdsi-3-mass-surveillance" if {
	acting != ""
	input.action in obtaining
	personal
	bulk
	some s in concerned
	s != acting
	not s in authorized
}

cumulative_bulk if {
	acting != ""
	input.action in obtaining
	personal
	count(bulk_states) > 0
}

fired contains "gdsi-3-cumulative-bulk" if cumulative_bulk

unsatisfied contains "gdsi-3-cumulative-bulk" if {
	cumulative_bulk
	some s in bulk_states
	not s in authorized
}

fired contains "gdsi-3-unauthorized-collection" if {
	acting != ""
	input.action == "collect"
	personal
	basis_kind in {"", "none", "authorization"}
	some s in concerned
	s != acting
	not s in authorized
}

# ---------------------------------------------------------------- 4 ----
repatriating if purpose == "repatriation"

repatriating if input.action == "localize"

fired contains "gdsi-4-repatriation" if {
	acting != ""
	repatriating
	some o in origins
	o != acting
}

fired contains "gdsi-4-local-law" if {
	input.requester.kind == "company"
	input.requester.jurisdiction != location
}

# ---------------------------------------------------------------- 5 ----
location_authorization if {
	acting != ""
	location != acting
}

location_authorization if {
	purpose in {"law-enforcement", "national-security"}
	destination != ""
	destination != location
	acting != location
}

location_satisfied if location in authorized

location_satisfied if {
	basis_kind == "agreement"
	agreement != ""
	covers(agreement, seeking_for_location, location, purpose)
}

seeking_for_location := acting if {
	acting != ""
} else := destination

fired contains "gdsi-5-location-authorization" if location_authorization

unsatisfied contains "gdsi-5-location-authorization" if {
	location_authorization
	not location_satisfied
}

# ---------------------------------------------------------------- 6 ----
judicial_channel if {
	purpose == "law-enforcement"
	seeking != location
}

judicial_satisfied if basis_kind == "mla"

judicial_satisfied if {
	basis_kind == "agreement"
	agreement != ""
	covers(agreement, seeking, location, "law-enforcement")
}

fired contains "gdsi-6-judicial-channel" if judicial_channel

unsatisfied contains "gdsi-6-judicial-channel" if {
	judicial_channel
	not judicial_satisfied
}

parties := {p | some p in object.get(data.accord_data.agreements, agreement, {"parties": []}).parties}

third_states := {s |
	some s in {location} | subject_states
	s != acting
	not s in parties
}

third_state if {
	acting != ""
	agreement != ""
	count(third_states) > 0
}

fired contains "gdsi-6-third-state" if third_state

unsatisfied contains "gdsi-6-third-state" if {
	third_state
	some s in third_states
	not s in authorized
}

# ---------------------------------------------------------------- 7 ----
fired contains "gdsi-7-anonymous-requester" if blank(input.requester.id)

fired contains "gdsi-7-anonymous-requester" if {
	input.on_behalf_of.kind != ""
	blank(input.on_behalf_of.id)
}

vendor_maintenance if {
	role == "vendor"
	purpose == "maintenance"
}

fired contains "gdsi-7-vendor-maintenance" if vendor_maintenance

unsatisfied contains "gdsi-7-vendor-maintenance" if {
	vendor_maintenance
	not "customer-approval" in measures
}

# ---------------------------------------------------------------- 8 ----
fired contains "gdsi-8-forced-upgrade" if {
	vendor_maintenance
	input.action == "modify"
	not "customer-approval" in measures
}

user_dependence if {
	role == "vendor"
	purpose == "commercial"
	input.action in obtaining
	personal
}

fired contains "gdsi-8-user-dependence" if user_dependence

unsatisfied contains "gdsi-8-user-dependence" if {
	user_dependence
	not "customer-approval" in measures
	basis_kind != "consent"
}
