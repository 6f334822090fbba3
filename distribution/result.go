package distribution

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/approval"
	"github.com/nsdist/nsdist/internal/text"
)

// Cause is a short name for why the target did not end enabled, for
// grouping: "no such host", "connection refused", "timed out", "TLS
// certificate not accepted", "SOAP fault WS_CONCUR_SESSION_DISALLWD", "HTTP
// 503 service unavailable", "OAuth 2.0 invalid_grant", "not sent: …", or
// what an error that names its own cause (a Cause() string method, as
// rollout.EntryError has) says. It is "" for an enabled target.
func (r Result) Cause() string {
	if r.Outcome == OutcomeEnabled {
		return ""
	}
	if c := causeOf(r.Err); c != "" {
		return r.generic(c)
	}
	if r.Explanation.Observed != "" && r.Explanation.Observed != approval.ObservedOther {
		return strings.ReplaceAll(string(r.Explanation.Observed), "_", " ")
	}
	s := r.Explanation.Sentence
	if s == "" {
		s = "no cause given"
	}
	return text.Truncate(r.generic(s), 80)
}

// generic is s with the result's account id replaced by "the account".
func (r Result) generic(s string) string {
	if r.Account == "" {
		return s
	}
	return strings.ReplaceAll(s, string(r.Account), "the account")
}

func causeOf(err error) string {
	if err == nil {
		return ""
	}
	var (
		pre *PreflightError
		we  nsdist.WireError
		dns *net.DNSError
		// an error that names its own cause, as rollout.EntryError does
		causer interface{ Cause() string }
	)
	switch c := nsdist.Classify(err); {
	case errors.As(err, &pre):
		if len(pre.Reasons) > 0 {
			return "not sent: " + text.Truncate(firstSentence(pre.Reasons[0].Text), 70)
		}
		return "not sent"
	case c == nsdist.ClassCanceled:
		return "interrupted"
	case c == nsdist.ClassDNSNotFound:
		return "no such host"
	case errors.As(err, &dns):
		if dns.IsTimeout {
			return "DNS lookup timed out"
		}
		return "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case c == nsdist.ClassTLS:
		return "TLS certificate not accepted"
	case errors.As(err, &we):
		return we.Cause()
	case errors.As(err, &causer):
		return text.Truncate(causer.Cause(), 80)
	case c == nsdist.ClassTimeout:
		return "timed out"
	}
	// the innermost message, without the package prefixes of its layers
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		msg = msg[i+2:]
	}
	return text.Truncate(msg, 80)
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// Row is a result as reports and journals show it: the JSON object of a
// report's results array, and the CSV row's fields.
type Row struct {
	Account  string `json:"account"`
	Label    string `json:"label,omitempty"`
	Outcome  string `json:"outcome"`
	Attempts int    `json:"attempts"`
	NextStep string `json:"next_step"`
	Channel  string `json:"channel"`
	Cause    string `json:"cause,omitempty"`
	// Predicted is approval.Evaluate's prediction before anything was
	// sent: Unknown whenever the vendor did not know the target's Require
	// Approval preference, which is the usual case. Observed is what
	// NetSuite's answer showed.
	Predicted   string   `json:"predicted_state"`
	Observed    string   `json:"observed"`
	Sentence    string   `json:"sentence"`
	LessLikely  []string `json:"less_likely"`
	NSID        string   `json:"nsid"`
	DurationMS  int64    `json:"duration_ms"`
	Error       string   `json:"error,omitempty"`
	FromJournal bool     `json:"from_journal,omitempty"`
	Note        string   `json:"note,omitempty"`
	// ReauthorizeBy (RFC 3339) is when the customer must authorize again,
	// for a result that rests on a code-grant token; empty for M2M and TBA.
	ReauthorizeBy string `json:"reauthorize_by"`
}

// Row returns the result as reports show it.
func (r Result) Row() Row {
	j := Row{Account: string(r.Account), Label: r.Label, Outcome: string(r.Outcome), Attempts: r.Attempts, NextStep: r.Explanation.NextStep,
		Channel: r.AuthName(), Cause: r.Cause(), Predicted: string(r.Decision.InitialState), Observed: string(r.Explanation.Observed),
		Sentence: r.Explanation.Sentence, LessLikely: r.Explanation.LessLikely,
		NSID: r.NSID, DurationMS: r.Duration.Milliseconds(), FromJournal: r.FromJournal, Note: r.Note}
	if !r.ReauthorizeBy.IsZero() {
		j.ReauthorizeBy = r.ReauthorizeBy.UTC().Format(time.RFC3339)
	}
	if j.LessLikely == nil {
		j.LessLikely = []string{}
	}
	if r.FromJournal && j.Observed == "" {
		j.Observed = string(approval.ObservedSuccess) // only enabled results are taken from the journal
	}
	// an approval's "Invalid login attempt." is the expected answer, not an error
	if r.Err != nil && r.Outcome != OutcomeAwaitingApproval && r.Outcome != OutcomeEnabled {
		j.Error = r.Err.Error()
	}
	return j
}

// MarshalJSON renders the result with the report's field names.
func (r Result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Row()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// AuthName is the result's channel as reports name it (their channel
// column): Auth (tba, oauth2, m2m, ...), or, when a Distributor left Auth
// empty, the channel, with user credentials named passport.
func (r Result) AuthName() string {
	switch {
	case r.Auth != "":
		return r.Auth
	case r.Channel == approval.ChannelCredentials:
		return "passport"
	}
	return string(r.Channel)
}
