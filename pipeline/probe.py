"""Stream URLs: the password kept out of logs, and why a stream would not open.

OpenCV only says a capture did not open; one RTSP DESCRIBE to the server tells a wrong password
(401) from a wrong path (404) from a server that is down (connection refused), so health and logs
say more than "failed".
"""

from __future__ import annotations

import base64
import socket
from urllib.parse import unquote, urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """Hide the password in ``scheme://user:password@host`` so it is never logged."""
    parts = urlsplit(url)
    # The host follows the last "@": a password may hold "@" itself.
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def diagnose(url: str, timeout_s: float = 3.0) -> str:
    """A one-line reason the stream at ``url`` cannot be read (password never included)."""
    safe = redact_url(url)
    parts = urlsplit(url)
    if parts.scheme not in ("rtsp", "rtsps"):
        return f"{safe}: could not be opened"
    host, port = parts.hostname or "", parts.port or 554
    if parts.scheme == "rtsps":
        return f"{safe}: could not be opened (TLS stream; not probed)"
    clean = f"rtsp://{host}:{port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    lines = [f"DESCRIBE {clean} RTSP/1.0", "CSeq: 1", "Accept: application/sdp"]
    if parts.username is not None:
        creds = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        lines.append("Authorization: Basic " + base64.b64encode(creds.encode()).decode())
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(request)
            status = sock.recv(1024).split(b"\r\n", 1)[0].decode("latin-1", "replace")
    except socket.gaierror:
        return f"{safe}: host {host!r} not found (DNS)"
    except ConnectionRefusedError:
        return f"{safe}: connection refused (server down or wrong port)"
    except TimeoutError:
        return f"{safe}: no answer within {timeout_s:.0f} s (host unreachable or firewalled)"
    except OSError as exc:
        return f"{safe}: cannot connect ({exc.strerror or exc})"
    code = status.split(" ")[1] if status.count(" ") >= 1 else ""
    if code == "401":
        return f"{safe}: credentials refused (401 Unauthorized); check user and password"
    if code == "403":
        return f"{safe}: access forbidden (403)"
    if code == "404":
        return f"{safe}: no such stream path on the server (404 Not Found)"
    if code == "200":
        return f"{safe}: server answered but the stream could not be decoded"
    return f"{safe}: could not be opened (server said {status!r})"
