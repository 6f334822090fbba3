#!/usr/bin/env python3
"""getServerTime with zeep against Oracle's official 2023_2 WSDL, signed in Python.

Usage: soap_zeep.py BASE_URL CONFIG.json WSDL_DIR

BASE_URL is the fake's "listening on" URL. For every token in the config it
calls getServerTime on the token's account with a tokenPassport whose
HMAC-SHA256 signature this script computes itself (base string
account&consumerKey&tokenId&nonce&timestamp, key consumerSecret&tokenSecret,
standard Base64). An account that does not require approval answers at once;
one that requires approval answers "Invalid login attempt." until the admin
API sets the record Enabled, and then answers. Exit 1 on any mismatch.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sys
import tempfile
import time

import requests
import zeep
from zeep.transports import Transport

PLATFORM = "urn:platform_2023_2.webservices.netsuite.com"
CORE = "urn:core_2023_2.platform.webservices.netsuite.com"


def host_id(account):
    """1234567_SB1 -> 1234567-sb1: the account id as it appears in host names."""
    return account.lower().replace("_", "-")


def load_wsdl(wsdl_dir):
    """The WSDL imports its schemas from ./xsd/; the official set keeps them
    beside it, so copy them into that layout (nothing is fetched)."""
    tmp = tempfile.mkdtemp(prefix="nsdist-wsdl-")
    os.mkdir(os.path.join(tmp, "xsd"))
    for name in os.listdir(wsdl_dir):
        src = os.path.join(wsdl_dir, name)
        if name.endswith(".xsd"):
            shutil.copy(src, os.path.join(tmp, "xsd", name))
    shutil.copy(os.path.join(wsdl_dir, "netsuite.wsdl"), tmp)
    return os.path.join(tmp, "netsuite.wsdl")


def passport(client, account, consumer_key, consumer_secret, token_id, token_secret):
    nonce = secrets.token_hex(10)
    timestamp = str(int(time.time()))
    base = "&".join([account, consumer_key, token_id, nonce, timestamp])
    key = (consumer_secret + "&" + token_secret).encode()
    signature = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()
    TokenPassport = client.get_type("{%s}TokenPassport" % CORE)
    Signature = client.get_type("{%s}TokenPassportSignature" % CORE)
    return TokenPassport(account=account, consumerKey=consumer_key, token=token_id, nonce=nonce,
                         timestamp=int(timestamp), signature=Signature(signature, algorithm="HMAC-SHA256"))


def main():
    base_url, config_path, wsdl_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(config_path) as f:
        config = json.load(f)
    records = {r["name"]: r for r in config["integrations"]}
    approval = {a["id"]: a.get("require_approval", False) for a in config["accounts"]}

    admin = requests.Session()  # any Host: the admin API
    r = admin.post(base_url + "/_fake/reset")
    assert r.status_code == 204, r.text

    session = requests.Session()
    client = zeep.Client(load_wsdl(wsdl_dir), transport=Transport(session=session))
    service = client.create_service("{%s}NetSuiteBinding" % PLATFORM, base_url + "/services/NetSuitePort_2023_2")
    failures = 0

    def server_time(tok):
        rec = records[tok["integration"]]
        session.headers["Host"] = host_id(tok["account"]) + ".suitetalk.api.netsuite.com"
        tp = passport(client, tok["account"], rec["consumer_key"], rec["consumer_secret"], tok["token_id"], tok["token_secret"])
        try:
            res = service.getServerTime(_soapheaders={"tokenPassport": tp})
        except zeep.exceptions.Fault as fault:
            return None, fault.message
        # the response has a SOAP header (documentInfo), so zeep returns header and body
        result = res.body.getServerTimeResult
        if not result.status.isSuccess:
            return None, "isSuccess=false"
        return result.serverTime, None

    def check(label, got, want_ok):
        nonlocal failures
        ok, err = got
        verdict = "ok" if (ok is not None) == want_ok else "MISMATCH"
        if verdict != "ok":
            failures += 1
        print("%-48s %s  [%s]" % (label, ("serverTime " + ok.isoformat()) if ok is not None else ("Fault: " + err), verdict))

    for tok in config["tokens"]:
        acct, name = tok["account"], tok["integration"]
        waiting = approval[acct]
        state = admin.get(base_url + "/_fake/accounts/%s/integrations" % acct).json()
        st = next(i["state"] for i in state if i["name"] == name)
        print("%s require_approval=%s: %s is %s" % (acct, str(waiting).lower(), name, st))
        check("  zeep getServerTime", server_time(tok), not waiting)
        if waiting:
            audit = admin.get(base_url + "/_fake/accounts/%s/audit" % acct).json()
            print("  Login Audit Trail: %s %s" % (audit[-1]["status"], audit[-1]["detail"]))
            r = admin.post(base_url + "/_fake/accounts/%s/integrations/%s/state" % (acct, name), json={"state": "Enabled"})
            print("  admin: %s set Enabled -> %d" % (name, r.status_code))
            if r.status_code != 204:
                failures += 1
            check("  zeep getServerTime after approval", server_time(tok), True)
    if failures:
        print("FAIL: %d mismatches" % failures)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
