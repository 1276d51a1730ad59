# The gdsi pack (internal/policy/packs/gdsi.yaml) written as Rego (OPA v1).
# Rule ids and conditions follow the pack one for one (its variables are
# helpers here); see the pack for the citations. `fired` holds every rule whose `when` is true; `unsatisfied`
# holds every require rule whose `when` is true and whose `satisfiedBy` is
# false. data.accord_data.params holds the pack's dated parameters, data.accord_data.agreements the
# registry's agreements (parties, purposes, validity in Unix nanoseconds).
package accord.gdsi

result := {"fired": fired, "unsatisfied": unsatisfied}

# ---------------------------------------------------------------- helpers
# controlled_by(p): the pack's controlledBy — a state authority's own
# jurisdiction, else the state holding more than 50 % of its owners.
controlled_by(p) := p.jurisdiction if {
	p.kind == "state-authority"
} else := s if {
	some s, share in object.get(p, "owners", {})
	share > 50
} else := ""

behalf := input.on_behalf_of if is_object(input.on_behalf_of)

else := {}

# acting: the pack's variables.acting = stateBehind(request).
acting := input.requester.jurisdiction if {
	input.requester.kind == "state-authority"
} else := behalf.jurisdiction if {
	behalf.kind == "state-authority"
} else := controlled_by(input.requester) if {
	controlled_by(input.requester) != ""
} else := controlled_by(behalf) if {
	controlled_by(behalf) != ""
} else := ""

# subject_to: the pack's subjectTo(request.requester).
subject_to := {s |
	some s in [input.requester.jurisdiction, object.get(input.requester, "headquarters", ""), controlled_by(input.requester)]
	s != ""
}

location := input.data.location

destination := object.get(input, "destination", "")

purpose := object.get(input, "purpose", "")

basis_kind := object.get(input.basis, "kind", "")

agreement := object.get(input.basis, "agreement", "")

measures := object.get(input.basis, "measures", [])

role := object.get(input.requester, "role", "")

authorized := {s | some s in object.get(input, "authorized", [])}

categories := object.get(input.data, "categories", [])

# dest: the pack's destinationOf(request).
dest := destination if {
	destination != ""
} else := acting if {
	acting != ""
} else := input.requester.jurisdiction

state_roles := {"law-enforcement", "judicial"}

law_enforcement if purpose == "law-enforcement"

law_enforcement if {
	input.requester.kind == "state-authority"
	role in state_roles
}

law_enforcement if {
	behalf.kind == "state-authority"
	object.get(behalf, "role", "") in state_roles
}

state_purpose if law_enforcement

state_purpose if purpose == "national-security"

state_purpose if {
	input.requester.kind == "state-authority"
	role == "intelligence"
}

state_purpose if {
	behalf.kind == "state-authority"
	object.get(behalf, "role", "") == "intelligence"
}

collector := acting if {
	acting != ""
} else := dest if {
	input.action in obtaining
	state_purpose
} else := ""

obtaining := {"access", "collect", "transfer", "disclose"}

under(c, p) if c == p

under(c, p) if startswith(c, concat("", [p, "."]))

cat_personal if {
	some c in categories
	under(c, "personal")
}

# personal: the pack's personalData(request) — counts beat labels.
personal if cat_personal

personal if {
	some n in object.get(input.data, "subjects", {})
	n > 0
}

subject_states := {s | some s, n in object.get(input.data, "subjects", {}); n > 0}

# The states whose people are concerned: the subject states, else the
# data's origin and location.
concerned := subject_states if {
	count(subject_states) > 0
} else := {s | some s in array.concat(object.get(input.data, "origin", []), [location])}

origins := input.data.origin if {
	count(object.get(input.data, "origin", [])) > 0
} else := array.concat([s | some s in subject_states], [location])

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

# cumulativePeople("12m", s): history in every category plus this request.
cumulative_people(s) := h + c if {
	h := sum([n.subjects | some n in object.get(object.get(object.get(input, "history", {}), "rolling_12m", {}), s, {})])
	c := object.get(object.get(input.data, "subjects", {}), s, 0)
}

bulk_states := {s |
	some s in subject_states
	s != collector
	cumulative_people(s) >= params.bulk_min_subjects
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
} else := dest

blank(id) if regex.match(`^\s*$`, id)

# ---------------------------------------------------------------- 1 ----
fired contains "gdsi-1-evidence" if input.requester.jurisdiction != location

fired contains "gdsi-1-evidence" if dest != location

fired contains "gdsi-1-counts-over-labels" if {
	not cat_personal
	personal
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

cii_use if {
	cii_state != ""
	input.action in {"access", "collect"}
	acting != ""
	acting != cii_state
}

fired contains "gdsi-2-cii-use" if cii_use

unsatisfied contains "gdsi-2-cii-use" if {
	cii_use
	not cii_state in authorized
}

fired contains "gdsi-2-cii-alteration" if {
	cii_foreign
	input.action in {"modify", "delete"}
	not cii_state in authorized
}

# ---------------------------------------------------------------- 3 ----
fired contains "gdsi-3-mass-surveillance" if {
	collector != ""
	input.action in obtaining
	personal
	bulk
	some s in concerned
	s != collector
	not s in authorized
}

cumulative_bulk if {
	collector != ""
	input.action in obtaining
	personal
	count(bulk_states) > 0
}

# No subject counted on personal data: an unknown number of people of the
# states concerned (origin and location), which may reach the threshold —
# fail closed.
cumulative_bulk if {
	collector != ""
	input.action in obtaining
	personal
	count(subject_states) == 0
	some s in concerned
	s != collector
}

fired contains "gdsi-3-cumulative-bulk" if cumulative_bulk

unsatisfied contains "gdsi-3-cumulative-bulk" if {
	cumulative_bulk
	some s in bulk_states
	not s in authorized
}

unsatisfied contains "gdsi-3-cumulative-bulk" if {
	cumulative_bulk
	count(subject_states) == 0
	some s in concerned
	s != collector
	not s in authorized
}

unauthorized_collection if {
	collector != ""
	input.action in obtaining
	personal
	basis_kind in {"", "none", "authorization"}
	some s in concerned
	s != collector
}

fired contains "gdsi-3-unauthorized-collection" if unauthorized_collection

unsatisfied contains "gdsi-3-unauthorized-collection" if {
	unauthorized_collection
	some s in concerned
	s != collector
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
	acting == ""
	state_purpose
	destination != ""
	destination != location
}

location_authorization if {
	acting == ""
	state_purpose
	destination == ""
	some s in subject_to
	s != location
}

location_satisfied if location in authorized

location_satisfied if {
	basis_kind == "agreement"
	agreement != ""
	covers(agreement, seeking_for_location, location, purpose)
}

seeking_for_location := seeking

fired contains "gdsi-5-location-authorization" if location_authorization

unsatisfied contains "gdsi-5-location-authorization" if {
	location_authorization
	not location_satisfied
}

# ---------------------------------------------------------------- 6 ----
judicial_channel if {
	law_enforcement
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
	input.action != "notify"
}

vendor_satisfied if "customer-approval" in measures

vendor_satisfied if {
	basis_kind == "consent"
	input.action in obtaining
}

fired contains "gdsi-7-vendor-maintenance" if vendor_maintenance

unsatisfied contains "gdsi-7-vendor-maintenance" if {
	vendor_maintenance
	not vendor_satisfied
}

# ---------------------------------------------------------------- 8 ----
fired contains "gdsi-8-forced-upgrade" if {
	role == "vendor"
	input.action == "modify"
	not "customer-approval" in measures
}

fired contains "gdsi-8-vulnerability-notice" if input.action == "notify"

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
