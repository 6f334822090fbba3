package soap

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/nsdist/nsdist"
	"github.com/nsdist/nsdist/internal/redact"
)

// LoginSession is a login session on an endpoint up to 2020_1: login with
// a Passport and the application id, requests with its JSESSIONID cookie,
// then Logout. Safe for concurrent use, though NetSuite allows one request
// per session at a time. The cookie is a credential (whoever holds it acts
// as the user): String, GoString, Format and LogValue never show it, for a
// *LoginSession and a LoginSession alike.
type LoginSession struct {
	c      *Client
	cookie string
	appID  string
	// Session is the login answer: the user and their roles.
	Session *Session
	// NSID is the login response's nsId.
	NSID string
}

// Login logs in with the client's Passport. The application id travels in
// the applicationInfo header, which is what auto-installs the record on
// the user-credentials path (section_4429293934, section_4389727047).
func (c *Client) Login(ctx context.Context) (*LoginSession, error) {
	p, ok := c.cfg.auth.(*Passport)
	if !ok {
		return nil, &OpError{Op: OpLogin, Account: c.account, Err: fmt.Errorf("%w: login needs user credentials (a Passport); token-based auth sends each request on its own", ErrCredentials)}
	}
	req := &Request{Operation: OpLogin, Version: c.cfg.version, Auth: p}
	resp, hdr, err := c.call(ctx, req, "", true)
	if err != nil {
		return nil, err
	}
	s := &LoginSession{c: c, cookie: sessionCookie(hdr), appID: p.ApplicationID, Session: resp.Session, NSID: resp.NSID}
	if !resp.Status.Success {
		return nil, &OpError{Op: OpLogin, Account: c.account, Attempts: 1, Err: statusError(resp.Status)}
	}
	return s, nil
}

// Do sends op inside the session.
func (s *LoginSession) Do(ctx context.Context, op Operation) (*Response, error) {
	req := &Request{Operation: op, Version: s.c.cfg.version, Session: true, ApplicationID: s.appID}
	resp, _, err := s.c.call(ctx, req, s.cookie, false)
	return resp, err
}

// Logout ends the session.
func (s *LoginSession) Logout(ctx context.Context) error {
	_, err := s.Do(ctx, OpLogout)
	return err
}

// String describes the session without its cookie.
func (s LoginSession) String() string {
	var account nsdist.AccountID
	if s.c != nil {
		account = s.c.account
	}
	user := ""
	if s.Session != nil {
		user = s.Session.UserID
	}
	return fmt.Sprintf("soap.LoginSession{account:%s user:%s nsId:%s cookie:%s}", account, user, s.NSID, redact.Placeholder)
}

// GoString implements fmt.GoStringer without the cookie.
func (s LoginSession) GoString() string { return s.String() }

// Format prints the redacted form for every verb.
func (s LoginSession) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue implements slog.LogValuer without the cookie.
func (s LoginSession) LogValue() slog.Value {
	var account nsdist.AccountID
	if s.c != nil {
		account = s.c.account
	}
	return slog.GroupValue(slog.String("account", string(account)), slog.String("nsid", s.NSID))
}

func sessionCookie(h http.Header) string {
	var parts []string
	for _, sc := range (&http.Response{Header: h}).Cookies() {
		parts = append(parts, sc.Name+"="+sc.Value)
	}
	return strings.Join(parts, "; ")
}

// StatusError is a response whose status says isSuccess="false".
type StatusError struct{ Status Status }

func (e *StatusError) Error() string {
	s := "soap: status not successful"
	for _, d := range e.Status.Details {
		s += fmt.Sprintf("; %s %s: %s", d.Type, d.Code, d.Message)
	}
	return s
}

func statusError(st Status) error { return &StatusError{Status: st} }
