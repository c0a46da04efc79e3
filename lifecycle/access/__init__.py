"""Who may use the workspace and what they did: ``users`` (accounts, roles, passwords), ``sessions``
(sign-in limits and idle expiry), ``session_cookie`` (the signed browser cookie), ``recovery`` (what a
killed process left, reclaimed on open) and ``activity`` (recent work, for Home). A ground-floor
package: it imports no stage."""
