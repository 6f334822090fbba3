package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type truncatedError struct{}

func (truncatedError) Error() string { return "soap: response truncated" }

// ConnectionError reports true: the answer never arrived whole.
func (truncatedError) ConnectionError() bool { return true }

// Errors for bodies that are not a usable SOAP response. Each comes
// wrapped in a *DecodeError that carries a short, secret-free snippet.
var (
	ErrEmptyBody = errors.New("soap: empty response body")
	ErrNotSOAP   = errors.New("soap: response is not a SOAP envelope")
	// ErrTruncated is an answer cut short: the connection ended before the
	// envelope did, so it counts as no answer and is retried
	// (ConnectionError).
	ErrTruncated error = truncatedError{}
	ErrMalformed       = errors.New("soap: malformed XML")
	ErrWrongRoot       = errors.New("soap: root element is not a SOAP Envelope")
	ErrNoBody          = errors.New("soap: envelope has no Body")
	ErrTooLarge        = errors.New("soap: response larger than the cap")
	ErrCharset         = errors.New("soap: unsupported response charset")
)

// DefaultMaxResponseSize caps response bodies (10 MiB); see WithMaxResponseSize.
const DefaultMaxResponseSize = 10 << 20

const snippetLen = 200

// DecodeError says why a body could not be decoded.
type DecodeError struct {
	Err     error  // one of ErrEmptyBody, ErrNotSOAP, ...
	Snippet string // the body's first bytes, secrets blanked
	Cause   error  // the parser's error, if any
}

func (e *DecodeError) Error() string {
	s := e.Err.Error()
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	if e.Snippet != "" {
		s += fmt.Sprintf(" (body starts %q)", e.Snippet)
	}
	return s
}

// Unwrap returns the sentinel and the cause.
func (e *DecodeError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

func decodeErr(sc *scrubber, kind error, data []byte, cause error) error {
	return &DecodeError{Err: kind, Snippet: sc.snippet(data), Cause: cause}
}

// Status is a SuiteTalk status element.
type Status struct {
	Success bool
	Details []StatusDetail
}

// StatusDetail is one statusDetail of a Status.
type StatusDetail struct {
	Type    string // ERROR, WARN or INFO (ERROR when absent)
	Code    string
	Message string
}

// Response is a decoded SuiteTalk response. Every text it keeps from the
// server (the nsId, the session's user and roles, the domains, the limit
// type, the status details) is cut to 4 KiB and, for an answer to a
// request the client sent, scrubbed of that request's secrets, as a
// fault's faultstring is: a server may send megabytes there, or echo what
// it was sent.
type Response struct {
	// Operation is the operation name, without the Response suffix.
	Operation string
	// Status is the first status element in document order: the operation's own.
	Status Status
	// RecordStatuses are the statuses after the first (one per record in list operations).
	RecordStatuses []Status
	// NSID is the documentInfo nsId header, NetSuite's id for the request.
	NSID string
	// Attempts is how many attempts the client made (0 when decoded from bytes alone).
	Attempts int

	ServerTime            time.Time              // getServerTime
	DataCenterURLs        *DataCenterURLs        // getDataCenterUrls
	Session               *Session               // login / logout
	IntegrationGovernance *IntegrationGovernance // getIntegrationGovernanceInfo
	AccountGovernance     *AccountGovernance     // getAccountGovernanceInfo
}

// DataCenterURLs are an account's domains.
type DataCenterURLs struct {
	RESTDomain        string
	WebservicesDomain string
	SystemDomain      string
}

// Session is what login returns: the user and their roles.
type Session struct {
	UserID   string
	UserName string
	Roles    []Role
}

// Role is one wsRole of a login response.
type Role struct {
	ID         string
	Name       string
	IsDefault  bool
	IsInactive bool
	IsLoggedIn bool
}

// IntegrationGovernance is getIntegrationGovernanceInfo's result.
type IntegrationGovernance struct {
	ConcurrencyLimit int64
	LimitType        string // _account, _integrationSpecific or _internal
}

// AccountGovernance is getAccountGovernanceInfo's result.
type AccountGovernance struct {
	ConcurrencyLimit            int64
	UnallocatedConcurrencyLimit int64
}

// DecodeResponse decodes a SuiteTalk response envelope of any endpoint
// version. A SOAP fault is returned as an error that errors.As turns into
// *Fault; a body that is not a usable envelope as a *DecodeError.
//
// It is a single streaming pass over encoding/xml's raw tokens with its own
// namespace resolution: elements are matched by namespace URI (the SOAP
// envelope) or by local name inside the body, whatever the prefixes and
// whatever NetSuite version strings the namespaces carry.
func DecodeResponse(data []byte) (*Response, error) {
	return decodeResponse(data, DefaultMaxResponseSize, nil)
}

// decodeResponse decodes data, refusing more than limit bytes. The texts a
// fault, status detail or error snippet keeps pass through sc, which
// blanks the secrets of the request data answers (nil: none).
func decodeResponse(data []byte, limit int64, sc *scrubber) (*Response, error) {
	if int64(len(data)) > limit {
		return nil, decodeErr(sc, ErrTooLarge, data, fmt.Errorf("%d bytes, cap %d", len(data), limit))
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return nil, decodeErr(sc, ErrEmptyBody, nil, nil)
	}
	if trimmed[0] != '<' || looksHTML(trimmed) {
		return nil, decodeErr(sc, ErrNotSOAP, data, nil)
	}
	src, err := toUTF8(trimmed)
	if err != nil {
		return nil, decodeErr(sc, ErrCharset, data, err)
	}
	p := parser{data: src, sc: sc}
	resp, f, kind, cause := p.run()
	if kind != nil {
		return nil, decodeErr(sc, kind, data, cause)
	}
	if f != nil {
		return nil, f
	}
	return resp, nil
}

func looksHTML(b []byte) bool {
	n := min(len(b), 64)
	head := strings.ToLower(string(b[:n]))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

// IsNetSuiteNS reports whether uri has the shape of a NetSuite platform
// namespace of the given kind ("core", "messages", "faults",
// "types.core", ...), whatever its version: urn:<kind>_<version>.platform.webservices.netsuite.com.
func IsNetSuiteNS(uri, kind string) bool {
	const suffix = ".platform.webservices.netsuite.com"
	if !strings.HasPrefix(uri, "urn:") || !strings.HasSuffix(uri, suffix) {
		return false
	}
	mid := uri[4 : len(uri)-len(suffix)]
	if !strings.HasPrefix(mid, kind+"_") {
		return false
	}
	ver := mid[len(kind)+1:]
	return ver != "" && strings.Trim(ver, "0123456789_") == ""
}

type nsBinding struct {
	prefix, uri string
	depth       int
}

type frame struct {
	prefix, local string
}

// parser is one streaming pass over a response.
type parser struct {
	data  []byte
	sc    *scrubber // blanks the request's secrets in the texts kept
	dec   *xml.Decoder
	ns    []nsBinding
	stack []frame
	text  []byte

	envNS       string
	inHeader    bool
	inBody      bool
	sawBody     bool
	resp        *Response
	fault       *Fault
	status      *Status
	seenStat    bool
	detail      *StatusDetail
	role        *Role
	detailAt    int64 // offset of the fault's detail start tag
	pendingNSID string
	kindAt      int // depth of the fault detail's first element
	faultText   faultText
	err         error
}

// faultText is the text of a fault's fields as read. The fields are set
// from it once the whole document is read (finishFault): the request's
// secrets blanked, then cut, once per field however many elements repeat
// it.
type faultText struct {
	code, str, actor, hostname, nsCode, nsMessage, kind string
	subcodes                                            []byte // ".Value" of each Subcode after code, appended in place
	detailAt, detailEnd                                 int64  // the raw detail's offsets in data
}

func (p *parser) run() (*Response, *Fault, error, error) {
	p.dec = xml.NewDecoder(bytes.NewReader(p.data))
	p.dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // already UTF-8
	for {
		off := p.dec.InputOffset()
		tok, err := p.dec.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if len(p.stack) > 0 || p.envNS == "" {
					return nil, nil, ErrTruncated, errors.New("document ends before the envelope is closed")
				}
				break
			}
			if isEOF(err) {
				return nil, nil, ErrTruncated, err
			}
			return nil, nil, ErrMalformed, p.syntaxCause(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if kind, cause := p.start(t, off); kind != nil {
				return nil, nil, kind, cause
			}
		case xml.EndElement:
			if len(p.stack) == 0 {
				return nil, nil, ErrMalformed, fmt.Errorf("unexpected end tag </%s>", p.name(t.Name.Local))
			}
			top := p.stack[len(p.stack)-1]
			if top.prefix != t.Name.Space || top.local != t.Name.Local {
				return nil, nil, ErrMalformed, fmt.Errorf("element <%s> closed by </%s>", p.name(top.local), p.name(t.Name.Local))
			}
			p.end(top.local)
			if p.err != nil {
				return nil, nil, ErrMalformed, p.err
			}
			p.stack = p.stack[:len(p.stack)-1]
			for len(p.ns) > 0 && p.ns[len(p.ns)-1].depth > len(p.stack) {
				p.ns = p.ns[:len(p.ns)-1]
			}
			if len(p.stack) == 0 { // root closed: ignore trailing data
				goto done
			}
		case xml.CharData:
			p.text = append(p.text, t...)
		}
	}
done:
	if !p.sawBody {
		return nil, nil, ErrNoBody, nil
	}
	if p.fault != nil {
		p.finishFault()
		return nil, p.fault, nil, nil
	}
	if p.resp == nil {
		return nil, nil, ErrNoBody, errors.New("body is empty")
	}
	return p.resp, nil, nil, nil
}

func (p *parser) resolve(prefix string) string {
	for i := len(p.ns) - 1; i >= 0; i-- {
		if p.ns[i].prefix == prefix {
			return p.ns[i].uri
		}
	}
	return ""
}

func (p *parser) parent() string {
	if len(p.stack) < 2 {
		return ""
	}
	return p.stack[len(p.stack)-2].local
}

func attr(t xml.StartElement, local string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Local == local && a.Name.Space != "xmlns" {
			return a.Value, true
		}
	}
	return "", false
}

// maxStatusDetails bounds the statusDetail elements kept per status, and
// so what a StatusError shows and the scrubbing they cost. NetSuite sends
// one or two.
const maxStatusDetails = 16

// maxDepth bounds element nesting. NetSuite's answers nest a dozen levels;
// a body of millions of unclosed elements would otherwise cost seconds of
// CPU before the parser gives up.
const maxDepth = 256

// Namespace declarations are bounded too, because resolve scans the
// bindings in scope for every element of depth 1 to 3: a root with ten
// thousand xmlns attributes followed by megabytes of sibling elements
// cost seconds of CPU per response. NetSuite declares a handful of
// namespaces per element, and its whole WSDL has about fifty, so an
// element may declare up to maxNSPerElement and at most maxNSInScope may
// be in scope at once; a response beyond either is refused as malformed.
const (
	maxNSPerElement = 64
	maxNSInScope    = 256
)

func (p *parser) start(t xml.StartElement, off int64) (error, error) {
	depth := len(p.stack) + 1
	if depth > maxDepth {
		return ErrMalformed, fmt.Errorf("elements nested deeper than %d", maxDepth)
	}
	if kind, cause := p.declare(t, depth); kind != nil {
		return kind, cause
	}
	p.stack = append(p.stack, frame{t.Name.Space, t.Name.Local})
	p.text = p.text[:0]
	if depth <= 3 {
		return p.startTop(t, depth)
	}
	if p.fault != nil {
		p.startFault(t, depth, off)
		return nil, nil
	}
	if p.resp == nil || !p.inBody {
		return nil, nil
	}
	p.startBody(t)
	return nil, nil
}

// declare records the namespaces an element declares, within the bounds
// (maxNSPerElement, maxNSInScope); over one, it returns the error class
// and cause.
func (p *parser) declare(t xml.StartElement, depth int) (error, error) {
	declared := 0
	for _, a := range t.Attr {
		var prefix string
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
		case a.Name.Space == "xmlns":
			prefix = a.Name.Local
		default:
			continue
		}
		if declared++; declared > maxNSPerElement {
			return ErrMalformed, fmt.Errorf("element <%s> declares more than %d namespaces", p.name(t.Name.Local), maxNSPerElement)
		}
		if len(p.ns) >= maxNSInScope {
			return ErrMalformed, fmt.Errorf("more than %d namespace declarations in scope at <%s>", maxNSInScope, p.name(t.Name.Local))
		}
		p.ns = append(p.ns, nsBinding{prefix, a.Value, depth})
	}
	return nil, nil
}

// startTop reads the envelope, Header, Body and the operation's element or
// Fault (depths 1 to 3).
func (p *parser) startTop(t xml.StartElement, depth int) (error, error) {
	local := t.Name.Local
	switch depth {
	case 1:
		uri := p.resolve(t.Name.Space)
		if local != "Envelope" || (uri != NSSOAP11 && uri != NSSOAP12) {
			if strings.EqualFold(local, "html") {
				return ErrNotSOAP, nil
			}
			return ErrWrongRoot, fmt.Errorf("root is {%s}%s", p.name(uri), p.name(local))
		}
		p.envNS = uri
		return nil, nil
	case 2:
		inEnv := p.resolve(t.Name.Space) == p.envNS
		p.inHeader = inEnv && local == "Header"
		p.inBody = inEnv && local == "Body"
		p.sawBody = p.sawBody || p.inBody
		return nil, nil
	case 3:
		if p.inBody && p.resp == nil && p.fault == nil {
			if local == "Fault" && p.resolve(t.Name.Space) == p.envNS {
				p.fault = &Fault{}
			} else {
				p.resp = &Response{Operation: p.name(strings.TrimSuffix(local, "Response"))}
			}
		}
		return nil, nil
	}
	return nil, nil
}

// startBody notes the response elements nsdist reads inside the Body.
func (p *parser) startBody(t xml.StartElement) {
	local := t.Name.Local
	switch local {
	case "status":
		v, _ := attr(t, "isSuccess")
		p.status = &Status{Success: strings.TrimSpace(v) == "true"}
	case "statusDetail":
		if p.status != nil && len(p.status.Details) < maxStatusDetails {
			typ, ok := attr(t, "type")
			if !ok {
				typ = "ERROR"
			}
			p.status.Details = append(p.status.Details, StatusDetail{Type: p.name(typ)})
			p.detail = &p.status.Details[len(p.status.Details)-1]
		}
	case "dataCenterUrls":
		p.resp.DataCenterURLs = &DataCenterURLs{}
	case "sessionResponse":
		p.resp.Session = &Session{}
	case "userId":
		if p.resp.Session != nil {
			id, _ := attr(t, "internalId")
			p.resp.Session.UserID = p.clean(id)
		}
	case "wsRole":
		if p.resp.Session != nil {
			p.resp.Session.Roles = append(p.resp.Session.Roles, Role{})
			p.role = &p.resp.Session.Roles[len(p.resp.Session.Roles)-1]
		}
	case "role":
		if p.role != nil && p.parent() == "wsRole" {
			id, _ := attr(t, "internalId")
			p.role.ID = p.clean(id)
		}
	case "getIntegrationGovernanceInfoResult":
		p.resp.IntegrationGovernance = &IntegrationGovernance{}
	case "getAccountGovernanceInfoResult":
		p.resp.AccountGovernance = &AccountGovernance{}
	}
}

func (p *parser) startFault(t xml.StartElement, depth int, off int64) {
	local := t.Name.Local
	switch {
	case depth == 4 && (local == "detail" || local == "Detail"):
		p.detailAt = off
	case depth == 5 && p.detailAt > 0 && p.kindAt == 0 && local != "hostname":
		p.faultText.kind, p.kindAt = local, depth
	}
}

func (p *parser) end(local string) {
	depth := len(p.stack)
	if p.inHeader && local == "nsId" && p.parent() == "documentInfo" && p.resp == nil {
		p.pendingNSID = p.clean(p.txt())
	}
	if depth == 2 {
		p.inHeader, p.inBody = false, false
	}
	if p.fault != nil {
		p.endFault(local, depth)
		return
	}
	if p.resp == nil {
		return
	}
	if depth == 3 && p.resp.NSID == "" {
		p.resp.NSID = p.pendingNSID
	}
	parent := p.parent()
	switch local {
	case "status":
		if p.status != nil {
			if !p.seenStat {
				p.resp.Status, p.seenStat = *p.status, true
			} else {
				p.resp.RecordStatuses = append(p.resp.RecordStatuses, *p.status)
			}
			p.status, p.detail = nil, nil
		}
	case "code", "message":
		if p.detail != nil && parent == "statusDetail" {
			// A StatusError shows them: scrubbed and cut like a fault's texts.
			if local == "code" {
				p.detail.Code = p.clean(p.txt())
			} else {
				p.detail.Message = p.clean(p.txt())
			}
		}
	case "statusDetail":
		p.detail = nil
	case "serverTime":
		v := p.txt()
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil { // time.Parse's error quotes the text: it is left out
			p.err = fmt.Errorf("serverTime: not an RFC 3339 time (%d bytes)", len(v))
			return
		}
		p.resp.ServerTime = ts
	case "restDomain", "webservicesDomain", "systemDomain":
		if d := p.resp.DataCenterURLs; d != nil && parent == "dataCenterUrls" {
			switch local {
			case "restDomain":
				d.RESTDomain = p.clean(p.txt())
			case "webservicesDomain":
				d.WebservicesDomain = p.clean(p.txt())
			default:
				d.SystemDomain = p.clean(p.txt())
			}
		}
	default:
		p.endSessionOrGovernance(local, parent)
	}
}

// endSessionOrGovernance keeps the text of a login's session and roles and
// of the governance queries' limits.
func (p *parser) endSessionOrGovernance(local, parent string) {
	switch local {
	case "name":
		switch {
		case parent == "userId" && p.resp.Session != nil:
			p.resp.Session.UserName = p.clean(p.txt())
		case parent == "role" && p.role != nil:
			p.role.Name = p.clean(p.txt())
		}
	case "isDefault", "isInactive", "isLoggedInRole":
		if p.role != nil && parent == "wsRole" {
			b := p.txt() == "true"
			switch local {
			case "isDefault":
				p.role.IsDefault = b
			case "isInactive":
				p.role.IsInactive = b
			default:
				p.role.IsLoggedIn = b
			}
		}
	case "wsRole":
		p.role = nil
	case "integrationConcurrencyLimit":
		if g := p.resp.IntegrationGovernance; g != nil {
			g.ConcurrencyLimit = p.long(local, p.txt())
		}
	case "limitType":
		if g := p.resp.IntegrationGovernance; g != nil {
			g.LimitType = p.clean(p.txt())
		}
	case "accountConcurrencyLimit", "unallocatedConcurrencyLimit":
		if g := p.resp.AccountGovernance; g != nil {
			if local == "accountConcurrencyLimit" {
				g.ConcurrencyLimit = p.long(local, p.txt())
			} else {
				g.UnallocatedConcurrencyLimit = p.long(local, p.txt())
			}
		}
	}
}

// txt is the current element's text, trimmed.
func (p *parser) txt() string { return string(bytes.TrimSpace(p.text)) }

func (p *parser) long(name, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && p.err == nil { // strconv's error quotes the text: it is left out
		why := "not an integer"
		if errors.Is(err, strconv.ErrRange) {
			why = "out of range"
		}
		p.err = fmt.Errorf("%s: %s (%d bytes)", name, why, len(s))
	}
	return n
}

// maxDetail caps each text the fault keeps (faultcode, faultstring,
// actor, the detail's code and message, hostname, raw detail) and each
// text a Response keeps (nsId, user and role names and ids, domains, limit
// type, status details), so that a huge answer never becomes a huge error
// or result copied into journals and reports.
const maxDetail = 4 << 10

// maxName caps an element name, namespace URI or the like that an error
// or a fault's Kind repeats.
const maxName = 64

// name returns an element name, namespace URI or other short token of the
// document as an error may repeat it: cut to maxName bytes, then with the
// request's secrets blanked. Only a window past the cut is scrubbed (head),
// so that a 9 MiB name costs no 9 MiB scrub, and a secret the cut would
// split is blanked before it.
func (p *parser) name(s string) string {
	s = head(p.sc, s, maxName)
	if len(s) <= maxName {
		return s
	}
	cut := maxName
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// syntaxCause returns what an XML syntax error says, with its text cut and
// the request's secrets blanked: encoding/xml quotes what it read (an
// element name, an entity), which may be an echo of a secret or megabytes
// long.
func (p *parser) syntaxCause(err error) error {
	var se *xml.SyntaxError
	if !errors.As(err, &se) {
		return errors.New(p.name(err.Error()))
	}
	msg := se.Msg
	if i := strings.IndexByte(msg, '&'); i >= 0 {
		// "invalid character entity &Two (no semicolon)": what follows
		// the '&' of an unescaped "Hunter&Two" is part of a secret that no
		// form of it matches.
		msg = msg[:i] + "(text left out)"
	}
	return fmt.Errorf("line %d: %s", se.Line, p.clean(truncate(msg, 2*maxName)))
}

// clean returns s with its request's secrets blanked, cut by capText.
func (p *parser) clean(s string) string {
	return capText(head(p.sc, s, maxDetail))
}

// capText cuts s to at most maxDetail bytes, on a rune boundary, marking the cut.
func capText(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	const mark = "…[truncated]"
	cut := maxDetail - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func (p *parser) endFault(local string, depth int) {
	ft := &p.faultText
	parent := p.parent()
	switch {
	case depth == 4 && local == "faultcode":
		ft.code = p.txt()
	case depth == 4 && local == "faultstring":
		ft.str = p.txt()
	case depth == 4 && local == "faultactor", depth == 4 && local == "Role":
		ft.actor = p.txt()
	case depth == 5 && local == "Value" && parent == "Code":
		ft.code, ft.subcodes = p.txt(), ft.subcodes[:0]
	case depth == 6 && local == "Value" && parent == "Subcode":
		// Appended in place, not ft.code += (a copy of the whole code per
		// Subcode), and only while it may still be shown: it is cut at
		// maxDetail, after a scrub over a window past that.
		if len(ft.code)+len(ft.subcodes) <= 16*maxDetail {
			ft.subcodes = append(append(ft.subcodes, '.'), bytes.TrimSpace(p.text)...)
		}
	case depth == 5 && local == "Text" && parent == "Reason":
		ft.str = p.txt()
	case depth == 5 && local == "hostname":
		ft.hostname = p.txt()
	case depth == 6 && p.kindAt == 5 && local == "code":
		ft.nsCode = p.txt()
	case depth == 6 && p.kindAt == 5 && local == "message":
		ft.nsMessage = p.txt()
	case depth == 4 && (local == "detail" || local == "Detail") && p.detailAt > 0:
		if end := p.dec.InputOffset(); end > p.detailAt && end <= int64(len(p.data)) {
			ft.detailAt, ft.detailEnd = p.detailAt, end
		}
	}
}

// finishFault sets the fault's fields from what was read.
//
// What is shown is scrubbed, but what the fault is must not depend on the
// request's secrets: a secret equal to a word of NetSuite's vocabulary (a
// cookie value "Server" or "ERROR") would otherwise turn
// soapenv:Server.userException into soapenv:[REDACTED].userException, or
// UNEXPECTED_ERROR into UNEXPECTED_[REDACTED], and change the class, the
// category and whether the fault is retried. So Class is read from the
// faultcode as sent; a detail code or Kind that is exactly one of the
// words Category knows is kept as sent (it is NetSuite's vocabulary, and a
// secret equal to one of those words says nothing it does not); and the
// "Ambiguous authentication" that marks ErrAmbiguousAuth is kept, the rest
// of the text scrubbed. Fault carries no unexported copy of the raw texts:
// that would break callers comparing faults with go-cmp.
func (p *parser) finishFault() {
	f, ft := p.fault, &p.faultText
	ft.code += string(ft.subcodes)
	f.Code, f.String, f.Actor = p.clean(ft.code), p.keepPrefix(ft.str, ambiguousPrefix), p.clean(ft.actor)
	f.Hostname, f.NSMessage = p.clean(ft.hostname), p.keepPrefix(ft.nsMessage, ambiguousPrefix)
	f.NSCode, f.Kind = p.clean(ft.nsCode), p.name(ft.kind)
	if codeCategory(ft.nsCode) != nil {
		f.NSCode = ft.nsCode
	}
	if kindCategory(ft.kind) != nil {
		f.Kind = ft.kind
	}
	if ft.detailEnd > 0 {
		f.Detail = capText(head(p.sc, p.data[ft.detailAt:ft.detailEnd], maxDetail))
	}
	f.Class = faultClass(ft.code)
}

// keepPrefix is clean(s), leaving prefix unscrubbed when s starts with it.
func (p *parser) keepPrefix(s, prefix string) string {
	if rest, ok := strings.CutPrefix(s, prefix); ok {
		return capText(prefix + head(p.sc, rest, maxDetail))
	}
	return p.clean(s)
}

func isEOF(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected EOF")
}

var encodingRE = regexp.MustCompile(`^<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']`)

// toUTF8 converts a body declared in a single-byte charset to UTF-8, so
// that one pass and raw byte offsets work for every response.
func toUTF8(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return b, nil
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return b, nil
	}
	m := encodingRE.FindSubmatch(b[:end+2])
	if m == nil {
		return b, nil
	}
	switch strings.ToLower(string(m[1])) {
	case "utf-8", "utf8":
		return b, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1", "us-ascii", "ascii":
		out := make([]byte, 0, len(b)+len(b)/8)
		for _, c := range b {
			if c < 0x80 {
				out = append(out, c)
			} else {
				out = append(out, 0xC0|c>>6, 0x80|c&0x3F)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w %q: nsdist reads UTF-8, US-ASCII and ISO-8859-1", ErrCharset, m[1])
}
