"""Web-only extensions: sessions (Flask-Login), CSRF (Flask-WTF), languages (Flask-Babel), rate limits."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Keyed by client address; behind nginx ProxyFix makes that the real client, not the proxy.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
