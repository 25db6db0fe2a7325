"""OAuth scopes the sandbox knows, what each allows (in words for the consent page), and which ones
each kind of REST call needs."""

from __future__ import annotations

#: Scopes a member can grant, with the plain-words line the consent page shows.
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "r_ads": "See your ad accounts, campaigns and conversion rules",
    "rw_ads": "Manage your ad accounts and campaigns",
    "rw_conversions": "Send conversions and manage conversion tracking for your ad accounts",
    "r_ads_reporting": "See reports for your ad accounts",
    "r_liteprofile": "See your name and photo",
    "r_basicprofile": "See your name, photo and headline",
    "r_emailaddress": "See the email address of your LinkedIn account",
    "profile": "See your name and photo",
    "email": "See the email address of your LinkedIn account",
    "openid": "Sign you in with your LinkedIn account",
}
KNOWN_SCOPES = frozenset(SCOPE_DESCRIPTIONS)

# A REST call needs any one scope of its set.
READ_SCOPES = frozenset({"r_ads", "rw_ads"})
WRITE_SCOPES = frozenset({"rw_conversions"})
REPORTING_SCOPES = frozenset({"r_ads_reporting"})
PROFILE_SCOPES = frozenset({"r_liteprofile", "r_basicprofile", "profile"})
OPENID_SCOPES = frozenset({"openid", "profile"})  # what /v2/userinfo needs
