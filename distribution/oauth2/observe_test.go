package oauth2_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/distribution/oauth2"
)

func TestObserve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want approval.Observed
	}{
		{nil, approval.ObservedSuccess},
		// subsect_158521832417, subsect_158521885412
		{&oauth2.Error{Op: oauth2.OpServerTime, Code: oauth2.CodeInvalidToken, HTTPStatus: 401}, approval.ObservedInvalidLogin},
		{fmt.Errorf("probe: %w", &oauth2.Error{Op: oauth2.OpServerTime, Code: oauth2.CodeTooManyRequests, HTTPStatus: 429}), approval.ObservedConcurrency},
		{&oauth2.Error{Op: oauth2.OpServerTime, HTTPStatus: 503}, approval.ObservedUnavailable},
		{&oauth2.Error{Op: oauth2.OpRefresh, Code: oauth2.CodeInvalidGrant, HTTPStatus: 400}, approval.ObservedReauthorize},
		{&oauth2.Error{Op: oauth2.OpExchange, Code: oauth2.CodeInvalidClient, HTTPStatus: 401}, approval.ObservedClientRefused},
		{&oauth2.Error{Op: oauth2.OpServerTime, HTTPStatus: 403}, approval.ObservedFeatureOrPerm},
		{&oauth2.Error{Op: oauth2.OpClientCredentials, Code: oauth2.CodeInvalidGrant, HTTPStatus: 400}, approval.ObservedM2MRefused},
		{&oauth2.Error{Op: oauth2.OpServerTime, HTTPStatus: 500}, approval.ObservedOther},
		{errors.New("something else"), approval.ObservedOther},
	}
	for _, tt := range tests {
		if got := oauth2.Observe(tt.err); got != tt.want {
			t.Errorf("Observe(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}
