// Package ipvs will hold the IPVS desired-state model, the reconciler and the
// kernel driver. Not built yet (see README).
package ipvs
