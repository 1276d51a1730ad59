// Package advisory carries GDSI commitment 8 (« informer rapidement … des
// vulnérabilités graves … et proposer des solutions », without « forcer les
// utilisateurs à mettre à niveau »): it reads what users run from SBOMs,
// reads vendors' advisories in OSV and CSAF 2.0, matches one against the
// other, lints the remedies offered, and delivers notices as signed
// Standard Webhooks through a persistent outbox.
//
// Its promises:
//
//   - Parsers never panic and never half-read: ParseSBOM, ParseOSV and
//     ParseCSAF either return a whole value or an *InputError naming the
//     JSON path (or byte offset) at fault. OSV is checked against the OSV
//     JSON Schema (1.9.0, embedded), CSAF against the CSAF 2.0 schema that
//     gocsaf embeds, plus the CSAF mandatory tests listed in CSAFMandatory.
//   - Components are identified by package URL (purl); a component without
//     a purl is kept only by its CPE and is never matched by version.
//   - Versions are compared by a maintained library, never by hand:
//     golang.org/x/mod/semver, for the ecosystems whose versions are SemVer
//     (SemverEcosystems) and for OSV SEMVER ranges. An ECOSYSTEM range of
//     any other ecosystem is refused (ErrEcosystem), not guessed; exact
//     version lists match in every ecosystem; GIT ranges match only through
//     the advisory's explicit version list (see Conversion losses).
//   - A match is decided by the package key (purl type, namespace, name)
//     and then the version: a component whose version cannot be compared is
//     reported as "unknown", never silently as unaffected.
//   - Lint flags an advisory whose only remedy is a forced upgrade, citing
//     GDSI commitment 8 (Lint, CitationGDSI8).
//   - Conversion between OSV and CSAF says what it cannot carry across
//     (Converted.Losses); nothing is dropped silently.
//   - Signed advisories are DSSE envelopes (payloadType PayloadType) over
//     the advisory document, Ed25519, as authorizations are.
//   - Notices are signed with Standard Webhooks; a receiver verifies them
//     with any Standard Webhooks library. Delivery is at least once, each
//     notice keeps one webhook id across retries (idempotency), attempts
//     back off exponentially, each attempt is bounded in time, and a notice
//     that exhausts its attempts is dead-lettered, visible in the API.
//
// The OSV schema in schema/ is Copyright the OSV authors, Apache-2.0, from
// github.com/ossf/osv-schema v1.9.0 (validation/schema.json).
package advisory
