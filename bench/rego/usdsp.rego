# The bulk thresholds of the US Data Security Program (bench pack
# bench/packs/usdsp-thresholds.yaml) written as Rego (OPA v1): § 202.301's
# brokerage prohibition cut down to one threshold per rule. data.accord_data.params
# holds the pack's dated parameters. US thresholds are "more than N".
package accord.usdsp

result := {"fired": fired, "unsatisfied": set()}

now_ns := time.parse_rfc3339_ns(input.time)

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

categories := object.get(input.data, "categories", [])

under(c, p) if c == p

under(c, p) if startswith(c, concat("", [p, "."]))

has_cat(prefixes) if {
	some c in categories
	some p in prefixes
	under(c, p)
}

rolling := object.get(object.get(input, "history", {}), "rolling_12m", {})

# cumulative("12m", "US", prefix)
request_us(prefix) := object.get(object.get(input.data, "subjects", {}), "US", 0) if {
	has_cat([prefix])
} else := 0

cumulative_us(prefix) := sum([n.subjects | some cat, n in object.get(rolling, "US", {}); under(cat, prefix)]) + request_us(prefix)

# cumulativeDevices("12m", prefix)
request_devices(prefix) := object.get(input.data, "devices", 0) if {
	has_cat([prefix])
} else := 0

cumulative_devices(prefix) := sum([n.devices |
	some _, cats in rolling
	some cat, n in cats
	under(cat, prefix)
]) + request_devices(prefix)

brokerage if {
	params.rule_in_force == true
	object.get(input, "transaction", "") == "data-brokerage"
	object.get(input, "destination", "") in params.countries_of_concern
}

fired contains "usdsp-t-government" if {
	brokerage
	has_cat(params.government_related_categories)
}

thresholds := [
	["usdsp-t-omic", "personal.omic", "bulk_human_omic"],
	["usdsp-t-genomic", "personal.genomic", "bulk_human_genomic"],
	["usdsp-t-biometric", "personal.biometric", "bulk_biometric"],
	["usdsp-t-health", "personal.health", "bulk_personal_health"],
	["usdsp-t-financial", "personal.financial", "bulk_personal_financial"],
	["usdsp-t-identifiers", "personal.identifier", "bulk_covered_identifiers"],
]

fired contains id if {
	brokerage
	some t in thresholds
	id := t[0]
	cumulative_us(t[1]) > params[t[2]]
}

fired contains "usdsp-t-geolocation" if {
	brokerage
	cumulative_devices("personal.geolocation.precise") > params.bulk_precise_geolocation_devices
}

families := [
	["personal.omic", "personal.genomic"], ["personal.biometric"], ["personal.geolocation.precise"],
	["personal.health"], ["personal.financial"], ["personal.identifier"],
]

combined_alternatives := [
	["personal.omic", "bulk_human_omic"],
	["personal.genomic", "bulk_human_genomic"],
	["personal.biometric", "bulk_biometric"],
	["personal.geolocation.precise", "bulk_precise_geolocation_devices"],
	["personal.health", "bulk_personal_health"],
	["personal.financial", "bulk_personal_financial"],
	["personal.identifier", "bulk_covered_identifiers"],
]

fired contains "usdsp-t-combined" if {
	brokerage
	count([f | some f in families; has_cat(f)]) > 1
	some a in combined_alternatives
	has_cat([a[0]])
	cumulative_us("personal") > params[a[1]]
}
