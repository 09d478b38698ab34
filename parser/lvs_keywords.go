package parser

// lvsRootKeywords are the checker process's top-level keywords.
var lvsRootKeywords = table[Config]{
	"SSL":                  {handle: decodeSSL, kind: subBlock, pass: PassChecker},
	"virtual_server_group": {handle: decodeVSG, kind: subBlock, pass: PassChecker},
	"virtual_server":       {handle: decodeVirtualServer, kind: subBlock, pass: PassChecker},
}
