#!/usr/bin/env python3
"""The OAuth 2.0 authorization code grant with PKCE, then REST serverTime, with requests.

Usage: oauth2_requests.py BASE_URL CONFIG.json

BASE_URL is the fake's "listening on" URL. For every account that is not the
owner of a code-grant record, this script plays the browser on the login and
consent page (a form: email, password, hidden inputs posted back unchanged,
action=allow), then the app: it exchanges the code with its own PKCE S256
verifier and calls GET /services/rest/system/v1/serverTime with the access
token. Completing the grant installs the record; an account that requires
approval answers 401 invalid_token until the admin API sets it Enabled.
Exit 1 on any mismatch.
"""
import base64
import hashlib
import html.parser
import json
import secrets
import sys
import urllib.parse

import requests


def host_id(account):
    return account.lower().replace("_", "-")


class Form(html.parser.HTMLParser):
    """The page's one <form method="post">: its action and its inputs."""

    def __init__(self):
        super().__init__()
        self.action, self.inputs = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post":
            self.action = a.get("action")
        elif tag == "input" and a.get("name"):
            self.inputs[a["name"]] = a.get("value") or ""


def pkce():
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode()  # 64 chars
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def code_grant(base_url, rec, account, user, ui_host):
    """Returns (token response, redirect query). ui_host None: the browser's own Host."""
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(24)
    redirect_uri = rec["redirect_uris"][0]
    params = {"response_type": "code", "client_id": rec["client_id"], "redirect_uri": redirect_uri,
              "scope": " ".join(rec["scopes"]), "state": state,
              "code_challenge": challenge, "code_challenge_method": "S256"}
    browser = requests.Session()
    if ui_host:
        browser.headers["Host"] = ui_host
    page = browser.get(base_url + "/app/login/oauth2/authorize.nl", params=params, allow_redirects=False)
    assert page.status_code == 200, (page.status_code, page.text)
    form = Form()
    form.feed(page.text)
    assert form.action and "email" in form.inputs and "password" in form.inputs, page.text
    data = dict(form.inputs, email=user["email"], password=user["password"], action="allow")
    resp = browser.post(urllib.parse.urljoin(base_url, form.action), data=data, allow_redirects=False)
    assert resp.status_code in (302, 303), (resp.status_code, resp.text)
    location = resp.headers["Location"]
    assert location.startswith(redirect_uri + "?"), location
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert q.get("state") == state, q
    assert q.get("company") == account, q
    assert "code" in q, q

    # the app's side: the token endpoint on the account's suitetalk.api host
    body = {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": redirect_uri, "code_verifier": verifier}
    auth = None
    if rec.get("public_client"):
        body["client_id"] = rec["client_id"]  # a public client: client_id in the body, no Authorization
    else:
        auth = (rec["client_id"], rec["client_secret"])  # HTTP Basic
    tok = requests.post(base_url + "/services/rest/auth/oauth2/v1/token", data=body, auth=auth,
                        headers={"Host": host_id(q["company"]) + ".suitetalk.api.netsuite.com"})
    assert tok.status_code == 200, (tok.status_code, tok.text)
    return tok.json(), q


def server_time(base_url, account, access_token):
    r = requests.get(base_url + "/services/rest/system/v1/serverTime",
                     headers={"Host": host_id(account) + ".suitetalk.api.netsuite.com",
                              "Authorization": "Bearer " + access_token})
    if r.status_code == 200:
        return "200 serverTime " + r.json()["serverTime"], True
    return "%d %s" % (r.status_code, r.headers.get("WWW-Authenticate", "")), False


def main():
    base_url, config_path = sys.argv[1], sys.argv[2]
    with open(config_path) as f:
        config = json.load(f)
    admin = requests.Session()
    r = admin.post(base_url + "/_fake/reset")
    assert r.status_code == 204, r.text
    failures = 0

    def check(label, got, want_ok):
        nonlocal failures
        text, ok = got
        verdict = "ok" if ok == want_ok else "MISMATCH"
        failures += verdict != "ok"
        print("%-44s %s  [%s]" % (label, text, verdict))

    for rec in (r for r in config["integrations"] if r.get("oauth2_code_grant")):
        for acct in (a for a in config["accounts"] if a["id"] != rec["owner"]):
            waiting = acct.get("require_approval", False)
            # the browser's own Host for the approval-free account (system.netsuite.com
            # serves it and the login picks the account), the account's app host otherwise
            ui_host = None if not waiting else host_id(acct["id"]) + ".app.netsuite.com"
            kind = "public" if rec.get("public_client") else "confidential"
            print("%s require_approval=%s, %s (%s client), login on %s" %
                  (acct["id"], str(waiting).lower(), rec["name"], kind, ui_host or "127.0.0.1 (as system.netsuite.com)"))
            tok, q = code_grant(base_url, rec, acct["id"], acct["users"][0], ui_host)
            print("  code grant: company=%s role=%s entity=%s token_type=%s expires_in=%s" %
                  (q["company"], q["role"], q["entity"], tok["token_type"], tok["expires_in"]))
            installs = admin.get(base_url + "/_fake/accounts/%s/integrations" % acct["id"]).json()
            inst = next(i for i in installs if i["name"] == rec["name"])
            print("  installed: %s, installed_by %s" % (inst["state"], inst["installed_by"]))
            check("  GET serverTime", server_time(base_url, acct["id"], tok["access_token"]), not waiting)
            if waiting:
                audit = admin.get(base_url + "/_fake/accounts/%s/audit" % acct["id"]).json()
                print("  Login Audit Trail: %s %s (%s, %s)" % (audit[-1]["status"], audit[-1]["detail"], audit[-1]["application"], audit[-1]["origin"]))
                check("  its Detail marked", ("origin " + audit[-1]["origin"], audit[-1]["origin"] == "inferred"), True)
                r = admin.post(base_url + "/_fake/accounts/%s/integrations/%s/state" % (acct["id"], urllib.parse.quote(rec["name"])),
                               json={"state": "Enabled"})
                print("  admin: %s set Enabled -> %d" % (rec["name"], r.status_code))
                failures += r.status_code != 204
                check("  GET serverTime after approval", server_time(base_url, acct["id"], tok["access_token"]), True)
    if failures:
        print("FAIL: %d mismatches" % failures)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
