package ledger

import (
	"fmt"

	"github.com/transparency-dev/tessera"
)

// ParseWitnessPolicy parses a witness policy file, as passed to
// `accord serve --witness-policy`, into the witness group Tessera waits on
// before publishing a checkpoint.
//
// The format is Sigsum's policy format as Tessera reads it: one declaration a
// line, '#' starts a comment.
//
//	witness <name> <vkey> <url>      a witness: its C2SP cosignature/v1 verifier key and base URL
//	group <name> <n|any|all> <member>...  a group satisfied by n of its members
//	quorum <name>                    the witness or group that must be satisfied
//
// The witness keys must be C2SP signed-note verifier keys of type 0x04
// (cosignature/v1). Tessera sends each new checkpoint to <url>/add-checkpoint.
func ParseWitnessPolicy(policy []byte) (tessera.WitnessGroup, error) {
	wg, err := tessera.NewWitnessGroupFromPolicy(policy)
	if err != nil {
		return tessera.WitnessGroup{}, fmt.Errorf("witness policy: %w", err)
	}
	return wg, nil
}
