package main

import "testing"

func TestProvisionKey(t *testing.T) {
	tests := []struct{ citation, want string }{
		{"28 CFR § 202.302(a)(2), (b)", "202.302"},
		{"28 CFR §§ 202.501-202.511", "202.501"},
		{"GDPR art. 48", "48"},
		{"GDPR arts. 44, 45, 46", "44"},
		{"Provisions art. 7(2); PIPL arts. 38(1), 40", "7"},
		{"PIPL art. 41; DSL art. 36", "41"},
		{"GDSI (2020), commitment 3 — letter of 18 September 2020 ..., annex, paragraph 3", "3"},
		{"no section at all", ""},
	}
	for _, tt := range tests {
		if got := provisionKey(tt.citation); got != tt.want {
			t.Errorf("provisionKey(%q) = %q, want %q", tt.citation, got, tt.want)
		}
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		s, key string
		want   bool
	}{
		{"Provisions art. 7(2)", "7", true},
		{"Provisions arts. 5(4), 7", "7", true},
		{"GDPR art. 47", "4", false},
		{"GDPR art. 45(1)", "45", true},
		{"28 CFR § 202.302(b)", "202.302", true},
		{"28 CFR § 202.3021", "202.302", false},
		{"§ 202.30", "202.302", false},
		{"commitment 1", "1", true},
		{"commitment 10", "1", false},
		{"art. 7.2", "7", false},
	}
	for _, tt := range tests {
		if got := mentions(tt.s, tt.key); got != tt.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tt.s, tt.key, got, tt.want)
		}
	}
}
