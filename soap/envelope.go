package soap

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// Envelope namespaces and content types.
const (
	NSSOAP11    = "http://schemas.xmlsoap.org/soap/envelope/"
	NSSOAP12    = "http://www.w3.org/2003/05/soap-envelope"
	NSAxis      = "http://xml.apache.org/axis/"
	ContentType = "text/xml; charset=utf-8"
)

// ErrUnsupportedOperation is returned for an operation nsdist does not
// build, or one the endpoint version does not have.
var ErrUnsupportedOperation = errors.New("soap: operation not supported")

// ErrAmbiguousAuth is returned when a request would carry two kinds of
// authentication, such as a tokenPassport and an application id; NetSuite
// answers such a request with the fault "Ambiguous authentication"
// (NETSUITE.md §4.2, section_1509544929). A fault with that text also
// matches it with errors.Is.
var ErrAmbiguousAuth = errors.New("soap: ambiguous authentication")

// Request describes one SuiteTalk request envelope.
type Request struct {
	Operation Operation
	Version   Version
	// Auth is put on the request as a tokenPassport or passport header (as
	// the login body for OpLogin). It is ignored for getDataCenterUrls,
	// which carries no authentication at all.
	Auth Auth
	// ApplicationID is an applicationInfo header for a request inside a
	// login session (a Passport carries its own). Together with TokenAuth
	// it is refused: NetSuite rejects the pair as ambiguous.
	ApplicationID string
	// Session marks a request sent with a login session's cookie: it
	// carries no request-level credentials.
	Session bool
	// Account is the account getDataCenterUrls asks about.
	Account AccountID
}

// Validate reports, before anything is sent, why the request cannot work.
func (r *Request) Validate() error {
	v := r.Version
	if v.IsZero() {
		return fmt.Errorf("%w: no endpoint version", ErrInvalidVersion)
	}
	if !v.Supports(r.Operation) {
		if _, err := ParseOperation(string(r.Operation)); err != nil {
			return err
		}
		return fmt.Errorf("%w: endpoint %s has no %s operation", ErrUnsupportedOperation, v, r.Operation)
	}
	if r.Operation == OpGetDataCenterUrls {
		if err := r.Account.Validate(); err != nil {
			return err
		}
		return nil
	}
	if r.Auth == nil && !r.Session {
		return fmt.Errorf("%w: %s needs authentication (token-based auth, or user credentials on endpoints up to 2020_1)", ErrCredentials, r.Operation)
	}
	if r.Auth != nil {
		if r.Session {
			return fmt.Errorf("%w: a request inside a login session carries no request-level credentials", ErrAmbiguousAuth)
		}
		if err := r.Auth.Check(v); err != nil {
			return err
		}
		if r.Auth.Mode() == AuthTBA && r.ApplicationID != "" {
			return fmt.Errorf("%w: token-based auth must not carry an application id (NetSuite rejects the request); drop the application id", ErrAmbiguousAuth)
		}
	}
	if r.ApplicationID != "" {
		if _, err := NormalizeApplicationID(r.ApplicationID); err != nil {
			return err
		}
	}
	switch r.Operation {
	case OpLogin:
		if r.Auth == nil || r.Auth.Mode() != AuthPassport {
			return fmt.Errorf("%w: login needs user credentials (a Passport)", ErrCredentials)
		}
	case OpLogout:
		if !r.Session {
			return fmt.Errorf("%w: logout is sent inside a login session", ErrUnsupportedOperation)
		}
	}
	return nil
}

// Encode validates the request and returns its envelope. nonce and now are
// used for a tokenPassport; the caller supplies a fresh nonce per attempt.
func (r *Request) Encode(nonce string, now time.Time) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	doc := r.build(nonce, now)
	var buf bytes.Buffer
	buf.Grow(1024)
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("soap: write envelope: %w", err)
	}
	return buf.Bytes(), nil
}

func (r *Request) build(nonce string, now time.Time) *etree.Document {
	v := r.Version
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	env := doc.CreateElement("soapenv:Envelope")
	env.CreateAttr("xmlns:soapenv", NSSOAP11)
	env.CreateAttr("xmlns:msg", v.MessagesNS())
	env.CreateAttr("xmlns:core", v.CoreNS())
	hdr := env.CreateElement("soapenv:Header")
	body := env.CreateElement("soapenv:Body")
	op := body.CreateElement("msg:" + string(r.Operation))

	if r.Operation == OpGetDataCenterUrls {
		op.CreateElement("msg:account").SetText(string(r.Account))
		env.RemoveChild(hdr)
		return doc
	}
	appID := r.ApplicationID
	switch a := r.Auth.(type) {
	case *TokenAuth:
		if nonce == "" { // Validate passed; a caller that wants no nonce gets an obvious one
			nonce = "missing"
		}
		tp := a.Sign(nonce, now.Unix())
		p := hdr.CreateElement("msg:tokenPassport")
		p.CreateElement("core:account").SetText(string(tp.Account))
		p.CreateElement("core:consumerKey").SetText(tp.ConsumerKey)
		p.CreateElement("core:token").SetText(tp.Token)
		p.CreateElement("core:nonce").SetText(tp.Nonce)
		p.CreateElement("core:timestamp").SetText(strconv.FormatInt(tp.Timestamp, 10))
		sig := p.CreateElement("core:signature")
		sig.CreateAttr("algorithm", tp.Algorithm)
		sig.SetText(tp.Signature)
	case *Passport:
		appID = a.ApplicationID
		parent := hdr
		if r.Operation == OpLogin {
			parent = op
		}
		p := parent.CreateElement("msg:passport")
		p.CreateElement("core:email").SetText(a.Email)
		p.CreateElement("core:password").SetText(a.Password)
		p.CreateElement("core:account").SetText(string(a.Account))
		p.CreateElement("core:role").CreateAttr("internalId", a.Role)
	}
	if appID != "" {
		id, _ := NormalizeApplicationID(appID) // validated
		ai := etree.NewElement("msg:applicationInfo")
		ai.CreateElement("msg:applicationId").SetText(id)
		hdr.InsertChildAt(0, ai)
	}
	if len(hdr.Child) == 0 {
		env.RemoveChild(hdr)
	}
	return doc
}
