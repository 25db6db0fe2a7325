"""The sandbox's HTML: the OAuth consent page and the authorization error page.

Plain HTML with inline CSS, no external resources, so it renders in any browser (or a headless one) with
no network. Every value from the request is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from werkzeug.wrappers import Response

from capi_desktop.sandbox.scopes import SCOPE_DESCRIPTIONS

CONSENT_PATH = "/_sandbox/oauth/consent"

_STYLE = """
body { margin: 0; font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       background: #f3f2ef; color: #1d2226; }
.banner { background: #915907; color: #fff; padding: 8px 16px; font-size: 14px; text-align: center; }
.card { max-width: 480px; margin: 48px auto; background: #fff; border-radius: 8px; padding: 32px;
        box-shadow: 0 0 0 1px rgba(0,0,0,.08), 0 4px 12px rgba(0,0,0,.08); }
.logo { font-weight: 700; font-size: 22px; color: #0a66c2; margin-bottom: 16px; }
h1 { font-size: 20px; margin: 0 0 8px; }
p { line-height: 1.5; }
ul { padding-left: 20px; line-height: 1.6; }
.member { color: #56687a; font-size: 14px; }
.buttons { display: flex; gap: 12px; justify-content: flex-end; margin-top: 24px; }
button { font-size: 16px; font-weight: 600; padding: 10px 24px; border-radius: 24px; cursor: pointer; }
#allow { background: #0a66c2; color: #fff; border: none; }
#cancel { background: #fff; color: #56687a; border: 1px solid #56687a; }
.error h1 { color: #b24020; }
"""

_AUTO_CLICK = """<script>
window.addEventListener("load", function () { document.getElementById("%s").click(); });
</script>"""


@dataclass(frozen=True)
class ConsentRequest:
    """An authorization request that passed validation; travels through the page in hidden fields."""

    flow: str  # "standard" or "pkce"
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def hidden_fields(self) -> dict[str, str]:
        fields = {
            "flow": self.flow,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
        }
        optional = {
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
        }
        fields.update({name: value for name, value in optional.items() if value is not None})
        return fields


def _page(title: str, body: str, status: int) -> Response:
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{escape(title)} – LinkedIn sandbox (practice mode)</title><style>{_STYLE}</style></head>
<body><div class="banner">LinkedIn sandbox (practice mode) — nothing here reaches LinkedIn</div>
{body}</body></html>"""
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def consent_page(consent: ConsentRequest, app_name: str, member_name: str, auto_consent: str | None) -> Response:
    scopes = "".join(
        f"<li>{escape(SCOPE_DESCRIPTIONS[scope])} <small>({escape(scope)})</small></li>"
        for scope in consent.scope.split()
    )
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in consent.hidden_fields().items()
    )
    script = ""
    if auto_consent is not None:
        script = _AUTO_CLICK % ("allow" if auto_consent == "allow" else "cancel")
    body = f"""<div class="card"><div class="logo">LinkedIn sandbox</div>
<h1>{escape(app_name)} would like to:</h1>
<ul>{scopes}</ul>
<p class="member">Signed in as {escape(member_name)}</p>
<form method="post" action="{CONSENT_PATH}">{hidden}
<div class="buttons"><button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>
<button type="submit" name="decision" value="allow" id="allow">Allow</button></div>
</form></div>{script}"""
    return _page("Authorize", body, 200)


def error_page(title: str, message: str, status: int = 400) -> Response:
    body = f"""<div class="card error"><div class="logo">LinkedIn sandbox</div>
<h1>{escape(title)}</h1><p>{escape(message)}</p></div>"""
    return _page(title, body, status)
