package parser

// PLACEHOLDER: owned by the global_defs work.

// GlobalDefs is the global_defs block.
type GlobalDefs struct {
	RouterID string `json:"router_id"`
}

// RootSettings holds the top-level keywords that look global but are not
// inside global_defs (net_namespace, instance, use_pid_dir...).
type RootSettings struct{}

var globalRootKeywords = table[Config]{}

func applyGlobalDefaults(d *decoder) {}

func validateGlobal(d *decoder) {}
