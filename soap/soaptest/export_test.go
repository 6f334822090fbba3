package soaptest

import "github.com/nsdist/nsdist/soap"

// Roll is the fake's deterministic draw for (seed, account, request
// number, salt), so that a test can place an injection rate exactly on it.
func Roll(seed uint64, account soap.AccountID, n uint64, salt byte) float64 {
	return (&Server{seed: seed}).roll(account, n, salt)
}
