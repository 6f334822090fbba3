package soap

import (
	"errors"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// RetryPolicy bounds the attempts of one call. Only answers that mean
// "wait and try again" are retried: concurrency faults and requests that
// got no response, as Oracle advises (bridgehead_1525252812),
// ACCT_TEMP_UNAVAILABLE (section_N3539978), UNEXPECTED_ERROR (at most
// MaxUnexpectedRetries times), HTTP 429/502/503/504 (honouring
// Retry-After) and truncated answers. Authentication, permission, version
// and account faults, TLS failures and a done context never are.
//
// Two of these are nsdist's own choice, not Oracle's advice:
//   - UNEXPECTED_ERROR: Oracle says only that the fault carries an error id
//     for Support (section_N3539420). Users of other SuiteTalk clients see
//     it come and go (NetSweet/netsuite#410 and #566), every operation
//     nsdist sends changes nothing, so a retry is harmless; the small cap
//     (2 by default) makes a lasting one surface within seconds.
//   - HTTP 429: Oracle documents no 429 for SOAP (concurrency is a fault),
//     but a proxy or gateway in front of the endpoint may answer it. RFC
//     6585 §4 defines 429 as "too many requests", sent before the request
//     is processed, and RFC 9110 §10.2.3 lets it carry Retry-After; a
//     retry after that wait is safe for the operations nsdist sends.
type RetryPolicy struct {
	MaxAttempts          int           // attempts in all, including the first; 1 disables retries
	InitialInterval      time.Duration // first wait
	Multiplier           float64       // growth per retry
	MaxInterval          time.Duration // longest single wait
	Jitter               float64       // randomization factor, 0..1
	MaxElapsedTime       time.Duration // the whole call, waits included
	MaxUnexpectedRetries int           // retries of UNEXPECTED_ERROR
}

// DefaultRetryPolicy returns up to 10 attempts, 100 ms first wait doubling to at
// most 5 s, ±50% jitter, 2 minutes in all, UNEXPECTED_ERROR retried twice.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 10, InitialInterval: 100 * time.Millisecond, Multiplier: 2, MaxInterval: 5 * time.Second,
		Jitter: 0.5, MaxElapsedTime: 2 * time.Minute, MaxUnexpectedRetries: 2}
}

// NoRetry makes one attempt only; a caller that schedules its own retries
// (the distribution rollout does) uses it.
func NoRetry() RetryPolicy { p := DefaultRetryPolicy(); p.MaxAttempts = 1; return p }

func (p RetryPolicy) validate() error {
	if p.MaxAttempts < 1 || p.InitialInterval < 0 || p.MaxInterval < 0 || p.Multiplier < 1 || p.Jitter < 0 || p.Jitter > 1 || p.MaxElapsedTime < 0 || p.MaxUnexpectedRetries < 0 {
		return errors.New("soap: invalid retry policy: want MaxAttempts ≥ 1, Multiplier ≥ 1, Jitter in [0,1], no negative durations")
	}
	return nil
}

func (p RetryPolicy) backOff(clock Clock) *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.InitialInterval,
		RandomizationFactor: p.Jitter,
		Multiplier:          p.Multiplier,
		MaxInterval:         p.MaxInterval,
		MaxElapsedTime:      p.MaxElapsedTime,
		Stop:                backoff.Stop,
		Clock:               clockAdapter(clock),
	}
	b.Reset()
	return b
}

type clockAdapter Clock

func (c clockAdapter) Now() time.Time { return c() }
