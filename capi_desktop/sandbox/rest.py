"""LinkedIn's versioned REST API (``/rest/...``) as the Conversions API workflow uses it.

``authenticate`` checks the three mandatory headers in LinkedIn's order; ``dispatch`` routes to one
endpoint, checks its scope, then runs it. Handlers raise :class:`RestError` for every rejection.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from capi_desktop.collector import collector_paused
from capi_desktop.sandbox import reporting
from capi_desktop.sandbox.errors import (
    SEC_EMPTY_TOKEN,
    SEC_EXPIRED_TOKEN,
    SEC_INVALID_TOKEN,
    SEC_REVOKED_TOKEN,
    RestError,
    json_response,
)
from capi_desktop.sandbox.events import RULE_URN, EventLimits, check_events
from capi_desktop.sandbox.knobs import Knobs
from capi_desktop.sandbox.rules import ACCOUNT_URN, RuleDraft, parse_rule
from capi_desktop.sandbox.scopes import OPENID_SCOPES, PROFILE_SCOPES, READ_SCOPES, REPORTING_SCOPES, WRITE_SCOPES
from capi_desktop.sandbox.state import SandboxState
from capi_desktop.sandbox.tokens import EXPIRED, REVOKED, Grant
from capi_desktop.sandbox.world import WRITE_ROLES, AcceptedBatch, World

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = "2.0.0"
_VERSION = re.compile(r"[0-9]{4}(0[1-9]|1[0-2])", re.ASCII)
_CAMPAIGN_URN = re.compile(r"urn:li:sponsoredCampaign:([0-9]+)", re.ASCII)
_STATUS_SEARCH = re.compile(r"\(status:\(values:List\(([A-Z_,]+)\)\)\)", re.ASCII)
CAMPAIGN_STATUSES = frozenset(
    {
        "ACTIVE",
        "PAUSED",
        "ARCHIVED",
        "COMPLETED",
        "CANCELED",
        "DRAFT",
        "PENDING_DELETION",
        "REMOVED",
    }
)
RULES_PAGE_DEFAULT, RULES_PAGE_MAX = 10, 100
CAMPAIGNS_PAGE_DEFAULT, CAMPAIGNS_PAGE_MAX = 100, 1000
_BATCH_OK_ELEMENT = '{"status":201}'


@dataclass(frozen=True)
class RestCall:
    """One authenticated REST request."""

    request: Request
    token: str
    member_id: str
    scopes: frozenset[str]
    version: str
    now: float
    knobs: Knobs

    @property
    def member_urn(self) -> str:
        return f"urn:li:person:{self.member_id}"

    @property
    def now_ms(self) -> int:
        return int(self.now * 1000)


@dataclass(frozen=True)
class Endpoint:
    handler: Callable[..., Response]
    #: Rest.li resource and method, as LinkedIn names them in ACCESS_DENIED messages.
    resource: str
    method: str
    scopes: frozenset[str]


def bearer_grant(state: SandboxState, request: Request, now: float) -> tuple[str, Grant]:
    """The bearer token and its live grant (401 otherwise), as every LinkedIn API checks them."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not header or (scheme.lower() == "bearer" and not token):
        raise RestError(401, "Empty oauth2 access token", code="EMPTY_ACCESS_TOKEN", service_error_code=SEC_EMPTY_TOKEN)
    if scheme.lower() != "bearer":
        raise RestError(
            401, "Unknown authentication schema", code="INVALID_ACCESS_TOKEN", service_error_code=SEC_INVALID_TOKEN
        )
    grant = state.tokens.access(token)
    if grant is None:
        raise RestError(401, "Invalid access token", code="INVALID_ACCESS_TOKEN", service_error_code=SEC_INVALID_TOKEN)
    status = grant.status(now)
    if status == REVOKED:
        raise RestError(
            401,
            "The token used in the request has been revoked by the user",
            code="REVOKED_ACCESS_TOKEN",
            service_error_code=SEC_REVOKED_TOKEN,
        )
    if status == EXPIRED:
        raise RestError(
            401,
            "The token used in the request has expired",
            code="EXPIRED_ACCESS_TOKEN",
            service_error_code=SEC_EXPIRED_TOKEN,
        )
    return token, grant


def authenticate(state: SandboxState, request: Request, knobs: Knobs, now: float) -> RestCall:
    """Check Authorization, LinkedIn-Version and X-Restli-Protocol-Version, in that order."""
    token, grant = bearer_grant(state, request, now)

    version = request.headers.get("LinkedIn-Version", "").strip()
    if not version:
        raise RestError(
            426,
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            code="VERSION_MISSING",
        )
    if _VERSION.fullmatch(version) is None or not knobs.accepts_version(version, now):
        raise RestError(426, f"Requested version {version} is not active", code="NONEXISTENT_VERSION")

    protocol = request.headers.get("X-Restli-Protocol-Version")
    if protocol != PROTOCOL_VERSION:
        raise RestError(400, f"X-Restli-Protocol-Version must be {PROTOCOL_VERSION}, got {protocol!r}")
    return RestCall(request, token, grant.member_id, grant.scopes, version, now, knobs)


class RestApi:
    def __init__(self, world: World) -> None:
        self._world = world
        self._endpoints: dict[str, Endpoint] = {
            "me": Endpoint(self.me, "me", "GET", READ_SCOPES),
            "account_users": Endpoint(self.account_users, "adAccountUsers", "FINDER-authenticatedUser", READ_SCOPES),
            "account": Endpoint(self.account, "adAccounts", "GET", READ_SCOPES),
            "campaigns": Endpoint(self.campaigns, "adCampaigns", "FINDER-search", READ_SCOPES),
            "rules": Endpoint(self.rules, "conversions", "FINDER-account", READ_SCOPES),
            "create_rule": Endpoint(self.create_rule, "conversions", "CREATE", WRITE_SCOPES),
            "associate": Endpoint(self.associate, "campaignConversions", "UPDATE", WRITE_SCOPES),
            "events": Endpoint(self.events, "conversionEvents", "CREATE", WRITE_SCOPES),
            "ad_analytics": Endpoint(self.ad_analytics, "adAnalytics", "FINDER-analytics", REPORTING_SCOPES),
        }
        self._routes = Map(
            [
                Rule("/rest/me", endpoint="me", methods=["GET"]),
                Rule("/rest/adAccountUsers", endpoint="account_users", methods=["GET"]),
                Rule("/rest/adAccounts/<int:account_id>", endpoint="account", methods=["GET"]),
                Rule("/rest/adAccounts/<int:account_id>/adCampaigns", endpoint="campaigns", methods=["GET"]),
                Rule("/rest/conversions", endpoint="rules", methods=["GET"]),
                Rule("/rest/conversions", endpoint="create_rule", methods=["POST"]),
                Rule("/rest/campaignConversions/<path:key>", endpoint="associate", methods=["PUT"]),
                Rule("/rest/conversionEvents", endpoint="events", methods=["POST"]),
                Rule("/rest/adAnalytics", endpoint="ad_analytics", methods=["GET"]),
            ]
        )

    def dispatch(self, call: RestCall) -> Response:
        adapter = self._routes.bind_to_environ(call.request.environ)
        try:
            name, args = adapter.match()
        except NotFound:
            raise RestError(404, f"No resource found for {call.request.path}") from None
        except MethodNotAllowed:
            raise RestError(405, f"{call.request.method} is not allowed on {call.request.path}") from None
        endpoint = self._endpoints[name]
        scopes = endpoint.scopes
        if name == "me" and call.knobs.me_requires_profile_scope:
            scopes = PROFILE_SCOPES
        if not scopes & call.scopes:
            method = call.request.headers.get("X-RestLi-Method", "").upper() or endpoint.method
            raise RestError(
                403,
                f"Not enough permissions to access: {endpoint.resource}.{method}.{call.version}01",
                code="ACCESS_DENIED",
            )
        return endpoint.handler(call, **args)

    # --- permissions ----------------------------------------------------------------------------------
    def _require_role(self, call: RestCall, account_id: int, *, write: bool) -> None:
        account_urn = f"urn:li:sponsoredAccount:{account_id}"
        role = self._world.role_of(call.member_id, account_id)
        if role is None:
            raise RestError(403, f"Member {call.member_urn} has no role on ad account {account_urn}")
        if write and role not in WRITE_ROLES:
            raise RestError(
                403,
                f"Member {call.member_urn} has role {role} on ad account {account_urn}, "
                "which does not allow this operation",
            )

    def _known_account(self, call: RestCall, account_id: int, *, write: bool) -> None:
        if account_id not in self._world.accounts:
            raise RestError(404, f"Ad account urn:li:sponsoredAccount:{account_id} does not exist")
        self._require_role(call, account_id, write=write)

    # --- endpoints ------------------------------------------------------------------------------------
    def userinfo(self, state: SandboxState, request: Request, now: float) -> Response:
        """OpenID Connect's ``/v2/userinfo``: unversioned, for tokens granted ``openid`` and ``profile``."""
        try:
            _, grant = bearer_grant(state, request, now)
            if not OPENID_SCOPES <= grant.scopes:
                raise RestError(403, "Not enough permissions to access: userinfo.GET.NO_VERSION", code="ACCESS_DENIED")
        except RestError as error:
            return error.to_response()
        member = self._world.members[grant.member_id]
        return json_response(
            {
                "sub": member.id,
                "name": f"{member.first_name} {member.last_name}",
                "given_name": member.first_name,
                "family_name": member.last_name,
                "locale": {"country": "US", "language": "en"},
            }
        )

    def me(self, call: RestCall) -> Response:
        member = self._world.members[call.member_id]
        return json_response(
            {"id": member.id, "localizedFirstName": member.first_name, "localizedLastName": member.last_name}
        )

    def account_users(self, call: RestCall) -> Response:
        _require_finder(call, "authenticatedUser")
        elements: list[dict[str, object]] = [
            {
                "account": account.urn,
                "user": call.member_urn,
                "role": role,
                "changeAuditStamps": {
                    "created": {"actor": "urn:li:unknown:0", "time": granted_ms},
                    "lastModified": {"actor": "urn:li:unknown:0", "time": granted_ms},
                },
                "version": {"versionTag": "1"},
            }
            for account, role, granted_ms in self._world.roles_of(call.member_id)
        ]
        start = _int_arg(call, "start", 0)
        count = _int_arg(call, "count", len(elements))
        page = _project(call, elements[start : start + count])
        return json_response(
            {"elements": page, "paging": {"start": start, "count": count, "total": len(elements), "links": []}}
        )

    def account(self, call: RestCall, account_id: int) -> Response:
        self._known_account(call, account_id, write=False)
        return json_response(_project(call, [self._world.accounts[account_id].to_json()])[0])

    def campaigns(self, call: RestCall, account_id: int) -> Response:
        self._known_account(call, account_id, write=False)
        _require_finder(call, "search")
        statuses = _status_filter(call.request.args.get("search"))
        size = _int_arg(call, "pageSize", CAMPAIGNS_PAGE_DEFAULT, maximum=CAMPAIGNS_PAGE_MAX, minimum=1)
        offset = _decode_page_token(call.request.args.get("pageToken"))
        matching = [
            c
            for c in self._world.campaigns.values()
            if c.account_id == account_id and (statuses is None or c.status in statuses)
        ]
        matching.sort(key=lambda c: c.id)
        page = matching[offset : offset + size]
        metadata: dict[str, str] = {}
        if offset + size < len(matching):
            metadata["nextPageToken"] = _encode_page_token(offset + size)
        return json_response({"elements": _project(call, [c.to_json() for c in page]), "metadata": metadata})

    def rules(self, call: RestCall) -> Response:
        _require_finder(call, "account")
        account_urn = call.request.args.get("account")
        if not account_urn:
            raise RestError(400, "Query parameter account is required")
        match = ACCOUNT_URN.fullmatch(account_urn)
        if match is None:
            raise RestError(400, f"Invalid Urn format: {account_urn}")
        account_id = int(match[1])
        self._known_account(call, account_id, write=False)
        start = _int_arg(call, "start", 0)
        count = _int_arg(call, "count", RULES_PAGE_DEFAULT, maximum=RULES_PAGE_MAX)
        page = [rule.to_json() for rule in self._world.rules_of(account_id)[start : start + count]]
        return json_response(
            {"elements": _project(call, page), "paging": {"start": start, "count": count, "total": -1, "links": []}}
        )

    def create_rule(self, call: RestCall) -> Response:
        parsed = parse_rule(_json_body(call))
        if not isinstance(parsed, RuleDraft):
            raise RestError(422, "\n".join(parsed))
        self._known_account(call, parsed.account_id, write=True)
        rule = self._world.add_rule(parsed, call.now_ms)
        headers = {"Location": f"/conversions/{rule.id}", "x-restli-id": str(rule.id)}
        return json_response(rule.to_json(), 201, headers)

    def associate(self, call: RestCall, key: str) -> Response:
        # ``key`` is werkzeug's percent-decoded copy, which would hide a client that forgot to encode the
        # URNs' colons; the raw request line keeps the bytes as sent.
        raw_path = call.request.environ.get("RAW_URI") or call.request.environ.get("REQUEST_URI", "")
        raw_key = raw_path.split("?", 1)[0].removeprefix("/rest/campaignConversions/")
        campaign_urn, rule_urn = _parse_association_key(raw_key)
        body = _json_body(call)
        if type(body) is not dict:
            raise RestError(400, "The request body must be a JSON object")
        problems = [
            f"ERROR :: /{name} :: unrecognized field found but not allowed"
            for name in body
            if name not in ("campaign", "conversion")
        ]
        problems += [
            f"ERROR :: /{name} :: field is required but not found and has no default value"
            for name in ("campaign", "conversion")
            if name not in body
        ]
        if problems:
            raise RestError(422, "\n".join(problems))
        if body["campaign"] != campaign_urn or body["conversion"] != rule_urn:
            raise RestError(400, "The campaign and conversion in the body do not match the key in the URL")

        campaign_id = int(campaign_urn.rsplit(":", 1)[1])
        campaign = self._world.campaigns.get(campaign_id)
        if campaign is None:
            raise RestError(404, f"Campaign {campaign_urn} does not exist")
        rule = self._world.rules.get(int(rule_urn.rsplit(":", 1)[1]))
        if rule is None:
            raise RestError(404, f"Conversion rule {rule_urn} does not exist")
        self._require_role(call, rule.account_id, write=True)
        if campaign.account_id != rule.account_id:
            raise RestError(
                400, f"Campaign {campaign_urn} and conversion rule {rule_urn} belong to different ad accounts"
            )
        self._world.associate(rule, campaign_id, call.now_ms)
        return Response(status=204)

    def events(self, call: RestCall) -> Response:
        method = call.request.headers.get("X-RestLi-Method")
        batch = method is not None
        if method is not None and method.upper() != "BATCH_CREATE":
            raise RestError(400, f"Unsupported X-RestLi-Method {method} for conversionEvents")
        limits = EventLimits(
            call.now_ms, call.knobs.event_max_age_days, call.knobs.future_grace_seconds, call.knobs.event_id_max_length
        )
        with collector_paused():  # 5,000 parsed events would otherwise trigger full collections
            body = _json_body(call)
            elements = _batch_elements(body, call.knobs.max_batch) if batch else [body]
            check = check_events(elements, self._world.rules, limits, indexed=batch)
        if check.problems:
            raise RestError(422, "\n".join(check.problems))
        for account_id in sorted(check.account_ids):
            self._require_role(call, account_id, write=True)
        if check.wrong_method:
            indices = ", ".join(map(str, check.wrong_method))
            raise RestError(
                400,
                "Incorrect conversions information provided. Conversion's method should be "
                f"CONVERSIONS_API, indices [{indices}] (0-indexed)",
            )

        body_bytes = call.request.get_data()  # already read and cached by _json_body: no copy
        self._world.accept(AcceptedBatch(body_bytes, batch, len(elements), call.now_ms, call.member_id))
        if not batch:
            return Response(status=201)
        payload = '{"elements":[' + ",".join([_BATCH_OK_ELEMENT] * len(elements)) + "]}"
        return Response(payload, status=200, content_type="application/json")

    def ad_analytics(self, call: RestCall) -> Response:
        _require_finder(call, "analytics")
        today = datetime.fromtimestamp(call.now, UTC).date()
        request = reporting.parse_request(dict(call.request.args), today)
        if self._world.role_of(call.member_id, request.account_id) is None:
            return json_response({"elements": [], "paging": {"start": 0, "count": 10, "links": []}})
        knobs = call.knobs
        elements = reporting.conversion_report(
            self._world, request, call.now_ms, knobs.attribution_share_percent, knobs.reporting_delay_hours
        )
        return json_response({"elements": _project(call, elements), "paging": {"start": 0, "count": 10, "links": []}})


# --- request helpers ----------------------------------------------------------------------------------
def _json_body(call: RestCall) -> object:
    try:
        return json.loads(call.request.get_data())
    except ValueError as error:
        raise RestError(400, f"The request body is not valid JSON: {error}") from None


def _batch_elements(body: object, max_batch: int) -> list[object]:
    if type(body) is not dict or "elements" not in body:
        raise RestError(400, 'A BATCH_CREATE request needs a JSON object with an "elements" array')
    extra = sorted(set(body) - {"elements"})
    if extra:
        raise RestError(400, f"Unexpected fields in the batch request: {', '.join(extra)}")
    elements = body["elements"]
    if type(elements) is not list:
        raise RestError(400, '"elements" must be an array')
    if not elements:
        raise RestError(400, '"elements" must contain at least one conversion event')
    if len(elements) > max_batch:
        raise RestError(
            400,
            f"The batch has {len(elements)} elements; at most {max_batch} conversion events can be sent in one request",
        )
    return elements


def _require_finder(call: RestCall, finder: str) -> None:
    q = call.request.args.get("q")
    if q != finder:
        raise RestError(400, f"Query parameter q must be {finder}, got {q!r}")


def _int_arg(call: RestCall, name: str, default: int, *, maximum: int | None = None, minimum: int = 0) -> int:
    raw = call.request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise RestError(400, f"Query parameter {name} must be a non-negative integer, got {raw!r}")
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        raise RestError(400, f"Query parameter {name} must be between {minimum} and {maximum}, got {value}")
    return value


def _project(call: RestCall, elements: list[dict[str, object]]) -> list[dict[str, object]]:
    """Apply a flat ``fields=a,b`` projection as Rest.li does (nested projections are passed through)."""
    raw = call.request.args.get("fields")
    if not raw or "(" in raw:
        return elements
    wanted = {name.strip() for name in raw.split(",")}
    return [{k: v for k, v in element.items() if k in wanted} for element in elements]


def _status_filter(search: str | None) -> frozenset[str] | None:
    if search is None:
        return None
    match = _STATUS_SEARCH.fullmatch(search)
    if match is None:
        raise RestError(400, f"Unsupported search criteria: {search}")
    statuses = frozenset(match[1].split(","))
    unknown = sorted(statuses - CAMPAIGN_STATUSES)
    if unknown:
        raise RestError(400, f"Unknown campaign status: {', '.join(unknown)}")
    return statuses


def _encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_page_token(token: str | None) -> int:
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    prefix, _, offset = text.partition(":")
    if prefix != "offset" or not offset.isascii() or not offset.isdigit():
        raise RestError(400, f"Invalid pageToken: {token}")
    return int(offset)


def _parse_association_key(raw_key: str) -> tuple[str, str]:
    """``(campaign:urn%3Ali%3A...,conversion:urn%3Alla%3A...)`` -> (campaign URN, rule URN).

    Rest.li 2.0 requires the URNs' colons to be percent-encoded inside a compound key; literal
    colons there are rejected, as a real Rest.li key parser cannot split them.
    """
    invalid = RestError(400, f"Invalid compound key: {unquote(raw_key)}")
    if not (raw_key.startswith("(") and raw_key.endswith(")")):
        raise invalid
    parts: dict[str, str] = {}
    for part in raw_key[1:-1].split(","):
        name, sep, value = part.partition(":")
        if not sep or ":" in value or name in parts:
            raise invalid
        parts[name] = unquote(value)
    campaign, rule = parts.get("campaign"), parts.get("conversion")
    if set(parts) != {"campaign", "conversion"} or campaign is None or rule is None:
        raise invalid
    if _CAMPAIGN_URN.fullmatch(campaign) is None or RULE_URN.fullmatch(rule) is None:
        raise RestError(400, f"Invalid Urn format in key: {unquote(raw_key)}")
    return campaign, rule
