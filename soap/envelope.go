package soap

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/nsdist/nsdist"
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
// (section_1509544929, section_N3445710). A fault with that text also
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
	Account nsdist.AccountID
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
//
// The envelope's shape is built with etree once per (version, operation,
// authentication) and kept as a template; each call fills in the escaped
// values, which is what keeps building cheaper than encoding/xml.
func (r *Request) Encode(nonce string, now time.Time) ([]byte, error) {
	out, _, err := r.encode(nonce, now)
	return out, err
}

// encode is Encode that also returns the values filled in, among them the
// secrets the envelope carries.
func (r *Request) encode(nonce string, now time.Time) ([]byte, slotValues, error) {
	if err := r.Validate(); err != nil {
		return nil, slotValues{}, err
	}
	vals := r.values(nonce, now)
	t := templateFor(r.shape())
	n := t.fixed
	for i := range t.slots {
		n += len(vals[t.slots[i]]) + 8
	}
	out := make([]byte, 0, n)
	for i, part := range t.parts {
		out = append(out, part...)
		if i < len(t.slots) {
			out = appendEscaped(out, vals[t.slots[i]])
		}
	}
	return out, vals, nil
}

// encodeTree builds the envelope with etree directly, without a template.
// Tests use it to prove the templates right.
func (r *Request) encodeTree(nonce string, now time.Time) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	doc := r.shape().build(r.values(nonce, now))
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("soap: write envelope: %w", err)
	}
	return buf.Bytes(), nil
}

const (
	slotAccount = iota
	slotConsumerKey
	slotToken
	slotNonce
	slotTimestamp
	slotSignature
	slotEmail
	slotPassword
	slotRole
	slotAppID
	nSlots
)

type slotValues [nSlots]string

// shape is what decides an envelope's structure.
type shape struct {
	version Version
	op      Operation
	mode    AuthMode
	appID   bool
}

func (r *Request) shape() shape {
	s := shape{version: r.Version, op: r.Operation, mode: AuthNone}
	if r.Operation == OpGetDataCenterUrls {
		return s
	}
	if r.Auth != nil {
		s.mode = r.Auth.Mode()
	}
	s.appID = r.ApplicationID != "" || s.mode == AuthPassport
	return s
}

func (r *Request) values(nonce string, now time.Time) slotValues {
	var v slotValues
	if r.Operation == OpGetDataCenterUrls {
		v[slotAccount] = string(r.Account)
		return v
	}
	appID := r.ApplicationID
	switch a := r.Auth.(type) {
	case *TokenAuth:
		tp := a.Sign(nonce, now.Unix())
		v[slotAccount], v[slotConsumerKey], v[slotToken] = string(tp.Account), tp.ConsumerKey, tp.Token
		v[slotNonce], v[slotTimestamp], v[slotSignature] = tp.Nonce, strconv.FormatInt(tp.Timestamp, 10), tp.Signature
	case *Passport:
		appID = a.ApplicationID
		v[slotEmail], v[slotPassword], v[slotAccount], v[slotRole] = a.Email, a.Password, string(a.Account), a.Role
	}
	if appID != "" {
		v[slotAppID], _ = NormalizeApplicationID(appID) // validated
	}
	return v
}

func (s shape) build(v slotValues) *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	env := doc.CreateElement("soapenv:Envelope")
	env.CreateAttr("xmlns:soapenv", NSSOAP11)
	env.CreateAttr("xmlns:msg", s.version.MessagesNS())
	env.CreateAttr("xmlns:core", s.version.CoreNS())
	hdr := env.CreateElement("soapenv:Header")
	body := env.CreateElement("soapenv:Body")
	op := body.CreateElement("msg:" + string(s.op))
	if s.op == OpGetDataCenterUrls {
		op.CreateElement("msg:account").SetText(v[slotAccount])
		env.RemoveChild(hdr) // no authentication at all
		return doc
	}
	if s.appID {
		hdr.CreateElement("msg:applicationInfo").CreateElement("msg:applicationId").SetText(v[slotAppID])
	}
	switch s.mode {
	case AuthTBA:
		p := hdr.CreateElement("msg:tokenPassport")
		p.CreateElement("core:account").SetText(v[slotAccount])
		p.CreateElement("core:consumerKey").SetText(v[slotConsumerKey])
		p.CreateElement("core:token").SetText(v[slotToken])
		p.CreateElement("core:nonce").SetText(v[slotNonce])
		p.CreateElement("core:timestamp").SetText(v[slotTimestamp])
		sig := p.CreateElement("core:signature")
		sig.CreateAttr("algorithm", SignatureHMACSHA256)
		sig.SetText(v[slotSignature])
	case AuthPassport:
		parent := hdr
		if s.op == OpLogin {
			parent = op // login carries the passport in its body
		}
		p := parent.CreateElement("msg:passport")
		p.CreateElement("core:email").SetText(v[slotEmail])
		p.CreateElement("core:password").SetText(v[slotPassword])
		p.CreateElement("core:account").SetText(v[slotAccount])
		p.CreateElement("core:role").CreateAttr("internalId", v[slotRole])
	}
	if len(hdr.Child) == 0 {
		env.RemoveChild(hdr)
	}
	return doc
}

// template is an envelope shape serialized once, split at its values.
type template struct {
	parts []string
	slots []int
	fixed int // bytes outside the slots
}

var templates sync.Map // shape → *template

const slotMark = "\x60nsdist-slot-"

func templateFor(s shape) *template {
	if t, ok := templates.Load(s); ok {
		return t.(*template)
	}
	var marks slotValues
	for i := range marks {
		marks[i] = slotMark + strconv.Itoa(i) + "\x60"
	}
	out, err := s.build(marks).WriteToString()
	if err != nil {
		panic("soap: template: " + err.Error()) // etree writing to a string cannot fail
	}
	t := &template{}
	for {
		i := strings.Index(out, slotMark)
		if i < 0 {
			t.parts = append(t.parts, out)
			break
		}
		j := strings.IndexByte(out[i+len(slotMark):], '\x60')
		n, _ := strconv.Atoi(out[i+len(slotMark) : i+len(slotMark)+j])
		t.parts = append(t.parts, out[:i])
		t.slots = append(t.slots, n)
		out = out[i+len(slotMark)+j+1:]
	}
	for _, p := range t.parts {
		t.fixed += len(p)
	}
	actual, _ := templates.LoadOrStore(s, t)
	return actual.(*template)
}

// appendEscaped appends s escaped for XML text and attribute values.
func appendEscaped(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&quot;"
		case '\'':
			esc = "&apos;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}
