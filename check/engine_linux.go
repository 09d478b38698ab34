package check

import "github.com/gokeepalived/gokeepalived/ipvs"

// openLinuxIPVS opens the kernel's IPVS of the namespace at nsPath ("" for
// this one).
func openLinuxIPVS(nsPath string) (ipvs.Kernel, func() error, error) {
	k, err := ipvs.Open(nsPath)
	if err != nil {
		return nil, nil, err
	}
	return k, k.Close, nil
}
