module github.com/nsdist/nsdist

go 1.25.0

require (
	github.com/beevik/etree v1.8.1
	github.com/cenkalti/backoff/v4 v4.3.0
	github.com/google/go-cmp v0.7.0
	github.com/jarcoal/httpmock v1.4.2
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
)
