"""Drive Milestone's own published protocol samples (mipsdk-samples-protocol) against an XProtect
API Gateway look-alike, to learn whether it speaks the protocol the vendor's client expects.
The samples' modules are imported unchanged from a checkout of that repository.

usage: /usr/bin/python3 xprotect_samples_check.py SAMPLES_DIR BASE_URL USER PASSWORD [CHANGE_URL_TEMPLATE [WIN_USER WIN_PASSWORD]]
  CHANGE_URL_TEMPLATE: optional POST url that makes camera {id} go into communication error,
  e.g. http://127.0.0.1:8081/_sim/devices/cameras/{id}/comm-error ("-" for none)
  WIN_USER WIN_PASSWORD: a Windows (AD) account, e.g. 'CORP\\svc'; checked through the sample's
  own get_token(..., isBasicUser=False, ...) (requests_ntlm against /IDP/connect/token).
Copied from the shared vendor-samples driver and extended with the Windows-credentials checks.
Debian packages: python3-requests python3-websockets python3-aiohttp python3-requests-ntlm.
"""
import asyncio
import json
import sys
import requests
from websockets import connect  # websockets 10.x: extra_headers

samples, base, user, password = sys.argv[1:5]
change_tpl = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else None
win_user, win_password = (sys.argv[6], sys.argv[7]) if len(sys.argv) > 7 else (None, None)
sys.path.insert(0, f"{samples}/RestfulCommunicationPython")
sys.path.insert(0, f"{samples}/EventsAndStateWebSocketApiPython")
import identity_provider  # noqa: E402  (EventsAndStateWebSocketApiPython's copy)
import ess_api  # noqa: E402
import event_types  # noqa: E402
from api_gateway import Gateway  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}{' — ' + str(detail) if detail else ''}", flush=True)


session = requests.Session()
r = identity_provider.get_token(session, user, password, base, True, False)
token = r.json().get("access_token") if r.status_code == 200 else None
check("sample identity_provider.get_token (basic user) gets a bearer token", bool(token), f"HTTP {r.status_code}")
gw = Gateway(base)
cams = []
if token:
    r = gw.get(session, "cameras", token)
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    cams = body.get("array", []) if isinstance(body, dict) else []
    check("sample Gateway.get('cameras') answers {array:[...]} with ids and displayName", r.status_code == 200 and cams and all("id" in c and "displayName" in c for c in cams), f"HTTP {r.status_code}, {len(cams)} cameras")
    if cams:
        r = gw.get_single(session, "cameras", cams[0]["id"], token)
        d = r.json().get("data", {}) if r.status_code == 200 else {}
        check("sample Gateway.get_single answers {data:{...}} with relations.parent", d.get("id") == cams[0]["id"] and "relations" in d, f"HTTP {r.status_code}")
        hw_id = d.get("relations", {}).get("parent", {}).get("id")
        if hw_id:
            r = gw.get_child_items(session, "hardware", hw_id, "hardwareDriverSettings", token)
            arr = r.json().get("array", []) if r.status_code == 200 else []
            mac = arr[0].get("hardwareDriverSettings", {}).get("macAddress") if arr else None
            check("sample Gateway.get_child_items(hardware, id, hardwareDriverSettings) carries macAddress", r.status_code == 200 and mac is not None, f"HTTP {r.status_code}, mac={mac!r}")

if win_user:
    wsession = requests.Session()
    r = identity_provider.get_token(wsession, win_user, win_password, base, False, False)
    wtoken = r.json().get("access_token") if r.status_code == 200 else None
    check("sample identity_provider.get_token (Windows user, NTLM, direct /IDP) gets a bearer token", bool(wtoken), f"HTTP {r.status_code}")
    if wtoken:
        r = gw.get(wsession, "cameras", wtoken)
        check("the Windows user's token is accepted by the REST API", r.status_code == 200 and len(r.json().get("array", [])) > 0, f"HTTP {r.status_code}")
    r = identity_provider.get_token(requests.Session(), win_user, win_password, base, True, False)
    check("the password grant is refused for the Windows user (it works only for basic users)", r.status_code in (400, 401), f"HTTP {r.status_code}")
    r = identity_provider.get_token(requests.Session(), win_user, "wrong-" + win_password, base, False, False)
    check("NTLM with a wrong password gets no token", r.status_code != 200, f"HTTP {r.status_code}")


async def ess():
    ws_uri = ("wss://" if base.startswith("https") else "ws://") + base.split("//")[1].rstrip("/") + "/api/ws/events/v1/"
    comm = [event_types.__dict__[k] for k in dir(event_types) if k.startswith("communication_")] if any(k.startswith("communication_") for k in dir(event_types)) else ["*"]
    filters = [{"modifier": "include", "resourceTypes": ["cameras"], "sourceIds": ["*"], "eventTypes": comm}]
    async with connect(ws_uri, extra_headers={"Authorization": f"Bearer {token}"}) as ws:
        s = await ess_api.start_session(ws, "", "")
        check("sample ess_api.start_session creates a session (201)", s.get("status") == 201 and s.get("sessionId"), s.get("status"))
        sub = await ess_api.create_subscription(ws, filters)
        check("sample ess_api.create_subscription is accepted (200)", sub.get("status") == 200, sub.get("status"))
        st = await ess_api.get_state(ws)
        states = st.get("states", [])
        check("sample ess_api.get_state answers states for the subscribed cameras", st.get("status") == 200 and len(states) > 0, f"{len(states)} states")
        session_id, last = s.get("sessionId"), ""
        if change_tpl and cams:
            target = cams[0]["id"]
            requests.post(change_tpl.format(id=target), json={}, timeout=10)
            got = None
            try:
                while got is None:
                    evs = await asyncio.wait_for(ess_api.receive_events(ws), 10)
                    for e in evs["events"]:
                        last = e.get("id", last)
                        if target in str(e.get("source", "")):
                            got = e
            except Exception as e:  # noqa: BLE001
                got = got or None
            check("sample ess_api.receive_events gets the camera's event ({events:[...]}, source cameras/<id>)", got is not None, json.dumps(got)[:160] if got else "none within 10 s")
    async with connect(ws_uri, extra_headers={"Authorization": f"Bearer {token}"}) as ws:
        s2 = await ess_api.start_session(ws, session_id, last)
        check("sample ess_api.start_session resumes the session within 30 s (200)", s2.get("status") == 200, s2.get("status"))


if token:
    try:
        asyncio.run(ess())
    except Exception as e:  # noqa: BLE001
        check("Events and State session with the sample ess_api", False, repr(e)[:200])
print(f"xprotect-samples: {sum(results)}/{len(results)} checks passed")
sys.exit(0 if all(results) else 1)
