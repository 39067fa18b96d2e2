"""Who is asking: the client's address, as a limit per client needs it.

Behind the HTTPS proxy every request comes from the proxy; only a proxy listed in
TRUSTED_PROXIES is believed about the real client (`X-Forwarded-For`, read from the right,
skipping our own proxies, so a client cannot choose its address by sending the header itself).
"""
from __future__ import annotations

import ipaddress
from typing import Iterable, Optional

from aiohttp import web


def _ip(text: str) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: web.Request, trusted: Iterable[str]) -> str:
    """The address of the client that sent this request."""
    trusted = set(trusted)
    peer = _ip(request.remote or "") or "unknown"
    if peer not in trusted:
        return peer
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        address = _ip(hop)
        if address and address not in trusted:
            return address
    return peer


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
