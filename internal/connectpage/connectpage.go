// Package connectpage writes the small outcome page the Connect handlers
// of distribution/tba and distribution/oauth2 show after a flow.
package connectpage

import (
	"html/template"
	"net/http"
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
	w.WriteHeader(status)
	_ = page.Execute(w, d) // the browser went away: nothing to do
}
