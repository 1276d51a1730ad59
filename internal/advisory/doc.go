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
//   - Versions are compared by maintained libraries, never by hand:
//     golang.org/x/mod/semver for OSV SEMVER ranges and the SemVer
//     ecosystems (SemverEcosystems: Go, npm, crates.io, Hex), and the
//     semantic package of github.com/google/osv-scalibr (the comparison
//     osv-scanner and OSV.dev use) for every other ecosystem it knows
//     (OrderedEcosystems: PyPI, Maven, Debian, Ubuntu, Alpine, RubyGems,
//     NuGet, Packagist, Pub, Red Hat, ...), each by its own rules (epochs,
//     pre- and post-releases, Debian's ~, Alpine's suffixes, Maven's
//     qualifiers). Where that package would order what is not a version
//     of the ecosystem (PyPI legacy versions, a Debian version without an
//     upstream number), the version is not ordered (strictSyntax). An
//     ECOSYSTEM range of an ecosystem no library orders is refused
//     (ErrEcosystem, an *InputError naming the range's type), not
//     guessed; exact version lists match in every ecosystem; GIT ranges
//     match only through the advisory's explicit version list (see
//     Conversion losses). CSAF product_version_range is read in vers form
//     with the same orderings (vers:deb, vers:pypi, vers:maven, ...).
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
