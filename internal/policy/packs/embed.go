// Package packs is the directory of the policy packs bundled with Accord:
// one pack per <name>.yaml and its tests in <name>_test.yaml. The policy
// package embeds this directory (policy.Embedded); there is no Go code here.
package packs
