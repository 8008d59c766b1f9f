// Package deploy holds the manifests users apply next to the plugin
// (rbac.yaml). It has no code: its tests check that the RBAC grants exactly
// what each netcheck mode calls, and that every rule says why.
package deploy
