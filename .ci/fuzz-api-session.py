"""Signs a fuzzing user up on a throwaway ThredOps and prints the session cookie's value.

Follows the mailed confirmation link from the outbox, as a person would, then connects a
sandbox creator through the OAuth consent page so profile routes have a profile to read.
"""
import glob
import re
import sys
import time
import urllib.parse

import requests

base, data = sys.argv[1], sys.argv[2]
s = requests.Session()
s.headers["Origin"] = base
r = s.post(f"{base}/api/v1/auth/signup",
           json={"email": "fuzz@example.com", "password": "correct horse battery staple 42"})
assert r.status_code in (200, 201, 202), r.text
for _ in range(100):
    mails = sorted(glob.glob(f"{data}/outbox/*"))
    if mails:
        break
    time.sleep(0.1)
link = re.search(r"(/verify-email\?[^\s\"<>]+)", open(mails[-1]).read()).group(1)
page = s.get(base + link).text
form = {k: re.search(rf'name="{k}" value="([^"]*)"', page).group(1) for k in ("csrf", "token")}
r = s.post(f"{base}/verify-email", data=form, allow_redirects=False)
assert r.status_code == 303, (r.status_code, r.text[:300])

# Connect the sandbox's first creator through its consent page, as a person would.
page = s.get(f"{base}/app/profiles").text
csrf = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
r = s.post(f"{base}/app/profiles/connect", data={"csrf": csrf}, allow_redirects=False)
consent_url = urllib.parse.urljoin(base, r.headers["location"])
consent = s.get(consent_url).text
fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent))
fields["user_id"] = re.search(r'name="user_id" value="([^"]+)"', consent).group(1)
fields["decision"] = "allow"
r = s.post(urllib.parse.urljoin(consent_url, "authorize"), data=fields)
assert r.ok, (r.status_code, r.text[:300])

# The connected profile's id, so profile operations are fuzzed on a real profile, not only 404s.
profiles = s.get(f"{base}/api/v1/profiles").json()
with open(f"{data}/profile_id", "w") as f:
    f.write(profiles[0]["id"])

print(s.cookies.get("thredops_session"))
