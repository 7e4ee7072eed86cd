"""Where the county government platform is, and the secret that signs what dispatch sends it.

From the dispatch process's environment, not from county settings: those are published as events
and shown to administrators, and the secret must be neither.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from servicekit.config import MissingSetting

URL_VARIABLE = "LIANYI_DISPATCH_PLATFORM_URL"
SECRET_VARIABLE = "LIANYI_DISPATCH_PLATFORM_SECRET"
TIMEOUT_VARIABLE = "LIANYI_DISPATCH_PLATFORM_TIMEOUT_S"
MIN_SECRET_BYTES = 16


class PlatformSettingRefused(MissingSetting):
    """A platform setting the process must not start with (a MissingSetting, so the service
    stops with this message rather than a traceback)."""


@dataclass(frozen=True)
class PlatformSettings:
    """The platform's webhook URL (None: nobody configured one, deliveries wait), its shared secret,
    and how long one attempt may take before it counts as failed."""

    url: str | None = None
    secret: bytes = field(default=b"", repr=False)  # never in a log line
    timeout_s: float = 10.0
    # How often the deliverer looks for due deliveries (a clock moved forward is noticed within it).
    poll_s: float = 1.0

    def __post_init__(self) -> None:
        if self.url is not None:
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise PlatformSettingRefused(f"{URL_VARIABLE} must be an http(s) URL, got {self.url[:100]!r}")
            if len(self.secret) < MIN_SECRET_BYTES:
                raise PlatformSettingRefused(
                    f"{SECRET_VARIABLE} must be set to a secret of at least {MIN_SECRET_BYTES} bytes, shared with "
                    f"the platform, when {URL_VARIABLE} is set")
        if not 0 < self.timeout_s <= 120:
            raise PlatformSettingRefused(f"{TIMEOUT_VARIABLE} must be a number of seconds in (0, 120]")


def load_platform_settings(environ: Mapping[str, str] = os.environ) -> PlatformSettings:
    """Read once, at the start of the process."""
    timeout = environ.get(TIMEOUT_VARIABLE, "10")
    try:
        timeout_s = float(timeout)
    except ValueError:
        raise PlatformSettingRefused(f"{TIMEOUT_VARIABLE} must be a number of seconds, got {timeout[:40]!r}") from None
    return PlatformSettings(url=environ.get(URL_VARIABLE) or None, secret=environ.get(SECRET_VARIABLE, "").encode(),
                            timeout_s=timeout_s)
