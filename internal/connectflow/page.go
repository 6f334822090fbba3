// Package connectflow is what the Connect handlers of distribution/tba
// and distribution/oauth2 share: the start's cross-site refusal, the
// cookie that binds a flow to its browser, and the outcome page.
package connectflow

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/nsdist/nsdist/distribution"
)

var page = template.Must(template.New("result").Parse(`<!DOCTYPE html>
<html><head><title>NetSuite connection</title></head><body>
<h1 id="headline">{{.Headline}}</h1>
<p id="detail">{{.Detail}}</p>
{{if .Next}}<p id="next">Next: {{.Next}}</p>{{end}}
</body></html>
`))

// Data is what the page shows; everything is escaped.
type Data struct{ Headline, Detail, Next string }

// Write sends the page with status.
func Write(w http.ResponseWriter, status int, d Data) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = page.Execute(w, d) // the browser went away: nothing to do
}

// Refusal is how a channel shows an error that left no token: its page
// status (400 for the browser's or the customer's side, 502 for
// NetSuite's) and the next step the error carries.
type Refusal struct {
	Status int
	Next   string
}

// Outcome is the page for o, in approval's words: the Result's sentence
// and next step once a token was checked; ref for an error before that.
func Outcome(o distribution.ConnectOutcome, ref Refusal) (int, Data) {
	res := o.Result
	switch {
	case !o.Connected:
		return ref.Status, Data{Headline: "Not connected", Detail: fmt.Sprint(o.Err), Next: ref.Next}
	case o.Err != nil:
		return http.StatusInternalServerError, Data{Headline: "Connected, but the token was not stored", Detail: o.Err.Error(),
			Next: "connect again; if it fails again, tell the vendor's support"}
	case res.Outcome == distribution.OutcomeEnabled:
		return http.StatusOK, Data{Headline: "Connected: Enabled", Detail: strings.TrimSuffix(res.Explanation.Sentence+"; "+res.Note, "; ")}
	case res.Outcome == distribution.OutcomeAwaitingApproval:
		return http.StatusOK, Data{Headline: "Connected: waiting for approval", Detail: res.Explanation.Sentence, Next: res.Explanation.NextStep}
	case res.Outcome == "":
		return http.StatusOK, Data{Headline: "Connected", Detail: "the token is stored"}
	default:
		return http.StatusOK, Data{Headline: "Connected, but NetSuite refused the check: " + string(res.Outcome),
			Detail: res.Explanation.Sentence, Next: res.Explanation.NextStep}
	}
}
