package soap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/nsdist/nsdist/internal/redact"
)

// Errors for bodies that are not a usable SOAP response. Each comes
// wrapped in a *DecodeError that carries a short, secret-free snippet.
var (
	ErrEmptyBody = errors.New("soap: empty response body")
	ErrNotSOAP   = errors.New("soap: response is not a SOAP envelope")
	ErrTruncated = errors.New("soap: response truncated")
	ErrMalformed = errors.New("soap: malformed XML")
	ErrWrongRoot = errors.New("soap: root element is not a SOAP Envelope")
	ErrNoBody    = errors.New("soap: envelope has no Body")
	ErrTooLarge  = errors.New("soap: response larger than the cap")
	ErrCharset   = errors.New("soap: unsupported response charset")
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

func decodeErr(kind error, data []byte, cause error) error {
	return &DecodeError{Err: kind, Snippet: redact.Snippet(data, snippetLen), Cause: cause}
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

// Response is a decoded SuiteTalk response.
type Response struct {
	// Operation is the operation name, without the Response suffix.
	Operation string
	// Status is the first status element in document order: the operation's own.
	Status Status
	// RecordStatuses are the statuses after the first (one per record in list operations).
	RecordStatuses []Status
	// NSID is the documentInfo nsId header, NetSuite's id for the request.
	NSID string

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
func DecodeResponse(data []byte) (*Response, error) {
	return decodeResponse(data, DefaultMaxResponseSize)
}

func decodeResponse(data []byte, limit int64) (*Response, error) {
	if int64(len(data)) > limit {
		return nil, decodeErr(ErrTooLarge, data, fmt.Errorf("%d bytes, cap %d", len(data), limit))
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return nil, decodeErr(ErrEmptyBody, nil, nil)
	}
	if trimmed[0] != '<' || looksHTML(trimmed) {
		return nil, decodeErr(ErrNotSOAP, data, nil)
	}
	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = charsetReader
	if err := doc.ReadFromBytes(data); err != nil {
		switch {
		case errors.Is(err, ErrCharset):
			return nil, decodeErr(ErrCharset, data, err)
		case isEOF(err):
			return nil, decodeErr(ErrTruncated, data, err)
		}
		return nil, decodeErr(ErrMalformed, data, err)
	}
	root := doc.Root()
	if root == nil {
		return nil, decodeErr(ErrTruncated, data, nil)
	}
	envNS := root.NamespaceURI()
	if root.Tag != "Envelope" || (envNS != NSSOAP11 && envNS != NSSOAP12) {
		if strings.EqualFold(root.Tag, "html") {
			return nil, decodeErr(ErrNotSOAP, data, nil)
		}
		return nil, decodeErr(ErrWrongRoot, data, fmt.Errorf("root is {%s}%s", envNS, root.Tag))
	}
	var body, header *etree.Element
	for _, c := range root.ChildElements() {
		if c.NamespaceURI() != envNS {
			continue
		}
		switch c.Tag {
		case "Body":
			body = c
		case "Header":
			header = c
		}
	}
	if body == nil {
		return nil, decodeErr(ErrNoBody, data, nil)
	}
	first := firstChildElement(body)
	if first == nil {
		return nil, decodeErr(ErrNoBody, data, errors.New("Body is empty"))
	}
	if first.Tag == "Fault" && first.NamespaceURI() == envNS {
		return nil, decodeFault(first, envNS == NSSOAP12)
	}
	resp := &Response{Operation: strings.TrimSuffix(first.Tag, "Response")}
	if header != nil {
		for _, h := range header.ChildElements() {
			if h.Tag == "documentInfo" {
				if id := childNS(h, "nsId"); id != nil {
					resp.NSID = strings.TrimSpace(id.Text())
				}
			}
		}
	}
	d := decoder{resp: resp}
	d.walk(first)
	if d.err != nil {
		return nil, decodeErr(ErrMalformed, data, d.err)
	}
	return resp, nil
}

func isEOF(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "unexpected EOF")
}

func looksHTML(b []byte) bool {
	n := min(len(b), 64)
	head := strings.ToLower(string(b[:n]))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

func firstChildElement(e *etree.Element) *etree.Element {
	for _, t := range e.Child {
		if c, ok := t.(*etree.Element); ok {
			return c
		}
	}
	return nil
}

// childNS finds a direct child element by local name.
func childNS(e *etree.Element, local string) *etree.Element {
	for _, t := range e.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag == local {
			return c
		}
	}
	return nil
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

type decoder struct {
	resp     *Response
	seenStat bool
	err      error
}

func (d *decoder) walk(e *etree.Element) {
	for _, t := range e.Child {
		c, ok := t.(*etree.Element)
		if !ok {
			continue
		}
		switch c.Tag {
		case "status":
			st := decodeStatus(c)
			if !d.seenStat {
				d.resp.Status, d.seenStat = st, true
			} else {
				d.resp.RecordStatuses = append(d.resp.RecordStatuses, st)
			}
			continue
		case "serverTime":
			ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(c.Text()))
			if err != nil {
				d.err = fmt.Errorf("serverTime: %w", err)
				return
			}
			d.resp.ServerTime = ts
			continue
		case "dataCenterUrls":
			d.resp.DataCenterURLs = &DataCenterURLs{
				RESTDomain:        text(c, "restDomain"),
				WebservicesDomain: text(c, "webservicesDomain"),
				SystemDomain:      text(c, "systemDomain"),
			}
			continue
		case "sessionResponse":
			d.resp.Session = &Session{}
		case "userId":
			if d.resp.Session != nil {
				d.resp.Session.UserID = c.SelectAttrValue("internalId", "")
				d.resp.Session.UserName = text(c, "name")
			}
			continue
		case "wsRole":
			if d.resp.Session != nil {
				r := Role{IsDefault: text(c, "isDefault") == "true", IsInactive: text(c, "isInactive") == "true", IsLoggedIn: text(c, "isLoggedInRole") == "true"}
				if role := childNS(c, "role"); role != nil {
					r.ID, r.Name = role.SelectAttrValue("internalId", ""), text(role, "name")
				}
				d.resp.Session.Roles = append(d.resp.Session.Roles, r)
			}
			continue
		case "getIntegrationGovernanceInfoResult":
			d.resp.IntegrationGovernance = &IntegrationGovernance{LimitType: text(c, "limitType")}
			d.resp.IntegrationGovernance.ConcurrencyLimit = d.long(c, "integrationConcurrencyLimit")
		case "getAccountGovernanceInfoResult":
			d.resp.AccountGovernance = &AccountGovernance{
				ConcurrencyLimit:            d.long(c, "accountConcurrencyLimit"),
				UnallocatedConcurrencyLimit: d.long(c, "unallocatedConcurrencyLimit"),
			}
		}
		d.walk(c)
	}
}

func (d *decoder) long(e *etree.Element, local string) int64 {
	s := text(e, local)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("%s: %w", local, err)
	}
	return n
}

func text(e *etree.Element, local string) string {
	if c := childNS(e, local); c != nil {
		return strings.TrimSpace(c.Text())
	}
	return ""
}

func decodeStatus(e *etree.Element) Status {
	st := Status{Success: strings.TrimSpace(e.SelectAttrValue("isSuccess", "")) == "true"}
	for _, c := range e.ChildElements() {
		if c.Tag != "statusDetail" {
			continue
		}
		st.Details = append(st.Details, StatusDetail{
			Type:    c.SelectAttrValue("type", "ERROR"),
			Code:    text(c, "code"),
			Message: text(c, "message"),
		})
	}
	return st
}

const maxDetail = 4 << 10

func decodeFault(e *etree.Element, soap12 bool) *Fault {
	f := &Fault{}
	var detail *etree.Element
	if soap12 {
		if code := childNS(e, "Code"); code != nil {
			f.Code = text(code, "Value")
			if sub := childNS(code, "Subcode"); sub != nil {
				f.Code += "." + text(sub, "Value")
			}
		}
		if reason := childNS(e, "Reason"); reason != nil {
			f.String = text(reason, "Text")
		}
		f.Actor = text(e, "Role")
		detail = childNS(e, "Detail")
	} else {
		f.Code = text(e, "faultcode")
		f.String = text(e, "faultstring")
		f.Actor = text(e, "faultactor")
		detail = childNS(e, "detail")
	}
	f.Class = faultClass(f.Code)
	if detail == nil {
		return f
	}
	for _, c := range detail.ChildElements() {
		switch {
		case c.Tag == "hostname":
			f.Hostname = strings.TrimSpace(c.Text())
		case f.Kind == "":
			f.Kind = c.Tag
			f.NSCode = text(c, "code")
			f.NSMessage = text(c, "message")
		}
	}
	d := etree.NewDocument()
	d.SetRoot(detail.Copy())
	if s, err := d.WriteToString(); err == nil {
		if len(s) > maxDetail {
			s = s[:maxDetail]
		}
		f.Detail = s
	}
	return f
}

// charsetReader decodes the single-byte charsets NetSuite and proxies use;
// anything else is refused with ErrCharset rather than mis-decoded.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1", "us-ascii", "ascii":
		return &latin1Reader{r: input}, nil
	}
	return nil, fmt.Errorf("%w %q: nsdist reads UTF-8, US-ASCII and ISO-8859-1", ErrCharset, label)
}

type latin1Reader struct {
	r   io.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	// Each input byte becomes at most two UTF-8 bytes.
	n := len(p) / 2
	if n == 0 {
		n = 1
		if len(p) < 2 {
			return 0, io.ErrShortBuffer
		}
	}
	if cap(l.buf) < n {
		l.buf = make([]byte, n)
	}
	m, err := l.r.Read(l.buf[:n])
	out := 0
	for _, c := range l.buf[:m] {
		if c < 0x80 {
			p[out] = c
			out++
		} else {
			p[out] = 0xC0 | c>>6
			p[out+1] = 0x80 | c&0x3F
			out += 2
		}
	}
	return out, err
}
