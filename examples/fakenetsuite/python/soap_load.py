#!/usr/bin/env python3
"""1,000 concurrent SOAP getServerTime requests from 50 clients, with requests.

Usage: soap_load.py BASE_URL CONFIG.json [REQUESTS] [CLIENTS]

Each client (a thread with its own requests.Session) signs its own
tokenPassports with the config's Enabled tokens. Every request must be
answered: with a getServerTime response, or with the concurrency fault
(WS_REQUEST_BLOCKED) when the account's limit is reached. Anything else
(a connection error, another fault, an HTML page) fails the run.
"""
import base64
import concurrent.futures
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time

import requests

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:msg="urn:messages_2023_2.platform.webservices.netsuite.com" xmlns:core="urn:core_2023_2.platform.webservices.netsuite.com">
<soapenv:Header><msg:tokenPassport><core:account>{account}</core:account><core:consumerKey>{ck}</core:consumerKey>
<core:token>{token}</core:token><core:nonce>{nonce}</core:nonce><core:timestamp>{ts}</core:timestamp>
<core:signature algorithm="HMAC-SHA256">{sig}</core:signature></msg:tokenPassport></soapenv:Header>
<soapenv:Body><msg:getServerTime/></soapenv:Body></soapenv:Envelope>"""


def envelope(account, ck, cs, token, ts_secret):
    nonce, ts = secrets.token_hex(10), str(int(time.time()))
    base = "&".join([account, ck, token, nonce, ts])
    sig = base64.b64encode(hmac.new((cs + "&" + ts_secret).encode(), base.encode(), hashlib.sha256).digest()).decode()
    return ENVELOPE.format(account=account, ck=ck, token=token, nonce=nonce, ts=ts, sig=sig)


def main():
    base_url, config_path = sys.argv[1], sys.argv[2]
    total = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    with open(config_path) as f:
        config = json.load(f)
    records = {r["name"]: r for r in config["integrations"]}
    requests.post(base_url + "/_fake/reset").raise_for_status()
    toks = config["tokens"]
    for t in toks:  # approve every record, so every answer is a result or a concurrency fault
        requests.post(base_url + "/_fake/accounts/%s/integrations/%s/state" % (t["account"], t["integration"]),
                      json={"state": "Enabled"}).raise_for_status()

    local = threading.local()
    counts = {"ok": 0, "WS_REQUEST_BLOCKED": 0}
    other = []
    lock = threading.Lock()

    def one(i):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        t = toks[i % len(toks)]
        rec = records[t["integration"]]
        body = envelope(t["account"], rec["consumer_key"], rec["consumer_secret"], t["token_id"], t["token_secret"])
        host = t["account"].lower().replace("_", "-") + ".suitetalk.api.netsuite.com"
        try:
            r = local.s.post(base_url + "/services/NetSuitePort_2023_2", data=body.encode(),
                             headers={"Host": host, "Content-Type": "text/xml; charset=utf-8", "SOAPAction": "getServerTime"}, timeout=60)
            if r.status_code == 200 and "getServerTimeResponse" in r.text and 'isSuccess="true"' in r.text:
                kind = "ok"
            elif r.status_code == 500 and "<platformFaults:code>WS_REQUEST_BLOCKED<" in r.text:
                kind = "WS_REQUEST_BLOCKED"
            else:
                kind = "%d %s" % (r.status_code, r.text[:200])
        except requests.RequestException as e:
            kind = "error: %s" % e
        with lock:
            if kind in counts:
                counts[kind] += 1
            else:
                other.append(kind)

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(total)))
    took = time.monotonic() - start
    answered = counts["ok"] + counts["WS_REQUEST_BLOCKED"]
    print("%d requests from %d clients in %.2fs (%.0f/s): %d getServerTime responses, %d WS_REQUEST_BLOCKED faults, %d other" %
          (total, clients, took, total / took, counts["ok"], counts["WS_REQUEST_BLOCKED"], len(other)))
    for o in other[:5]:
        print("  other:", o)
    health = requests.get(base_url + "/_fake/accounts/%s/integrations" % toks[0]["account"])
    print("server still up: GET /_fake/... -> %d" % health.status_code)
    return 0 if answered == total and health.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
