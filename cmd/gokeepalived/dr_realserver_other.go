//go:build !linux

package main

import "errors"

func newDRSystem() (drSystem, error) {
	return nil, errors.New("dr-realserver needs Linux")
}
