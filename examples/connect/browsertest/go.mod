module github.com/nsdist/nsdist/examples/connect/browsertest

go 1.25.0

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/nsdist/nsdist v0.0.0
)

require (
	github.com/beevik/etree v1.8.1 // indirect
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
)

replace github.com/nsdist/nsdist => ../../..
