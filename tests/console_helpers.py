"""Staff accounts for tests and a logged-in console client (requests keeps the cookies)."""
from __future__ import annotations

import re
import subprocess
import sys

import requests

from conftest import ROOT


def add_staff(var_dir, name: str, role: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "staff", "--db", f"sqlite:///{var_dir / 'conversations.db'}",
                           "add", name, "--role", role], input=password + "\n", text=True, capture_output=True, cwd=ROOT)


class ConsoleClient:
    def __init__(self, gateway: str):
        self.gateway = gateway
        self.http = requests.Session()
        self.csrf = ""

    def login(self, name: str, password: str) -> requests.Response:
        page = self.http.get(self.gateway + "/console/login")
        token = re.search(r"name='csrf' value='([^']+)'", page.text).group(1)
        response = self.http.post(self.gateway + "/console/login", data={"csrf": token, "name": name, "password": password},
                                  allow_redirects=False)
        if response.status_code == 302:
            home = self.http.get(self.gateway + "/console")
            self.csrf = re.search(r'<meta name="csrf" content="([^"]+)"', home.text).group(1)
        return response

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.gateway + path, allow_redirects=False, **kw)

    def post(self, path: str, data=None, csrf: bool = True, **kw) -> requests.Response:
        data = dict(data or {})
        if csrf:
            data["csrf"] = self.csrf
        return self.http.post(self.gateway + path, data=data, allow_redirects=False, **kw)
