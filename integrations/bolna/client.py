"""Bolna's REST API: calls, executions, batches and the account, as its reference documents
them (https://www.bolna.ai/docs/api-reference; the OpenAPI file in github.com/bolna-ai/skills).

Every failure becomes a `BolnaError` whose `note` is one line an operator can read in the
sheet's Notes column. The API token goes only into the Authorization header: it is never
part of a message, and anything the server echoes back is scrubbed of it.

Errors come as {"error": int, "message": str}, or {"detail": ...} on auth errors. Which of
them are the account's fault rather than the lead's (they pause dialling, see
calls/account.py): 401 and 403 (the key), and a 404, 400 or 422 to POST /call or /batches
that is about the agent or the from-number (caller ID).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from daemon.config import Secret
from daemon.fsutil import is_safe_name

log = logging.getLogger(__name__)

_MESSAGE_LIMIT = 200


class BolnaError(Exception):
    """A request Bolna did not accept, or that never got an answer.

    kind: bad-request | auth | agent | from-number | not-found | rate-limited | server | network |
          unknown-outcome | bad-response
    """

    def __init__(self, kind: str, note: str, status: int | None = None) -> None:
        super().__init__(note)
        self.kind = kind
        self.note = note
        self.status = status

    @property
    def call_may_exist(self) -> bool:
        """The request may have reached Bolna (a timeout after sending): a call may be ringing."""
        return self.kind == "unknown-outcome"

    @property
    def lead_at_fault(self) -> bool:
        """Bolna rejected this lead's request itself (say, its number): counts as an attempt."""
        return self.kind == "bad-request"

    @property
    def stops_dialling(self) -> bool:
        """Every further request would fail the same way now: stop this cycle's calls."""
        return self.kind in ("auth", "agent", "from-number", "not-found", "rate-limited", "server", "network")

    @property
    def account_issue(self) -> str:
        """ "key", "agent" or "from-number" when the account is at fault (dialling pauses), else ""."""
        return {"auth": "key", "agent": "agent", "from-number": "from-number"}.get(self.kind, "")


_FROM_NUMBER = re.compile(r"from[_ ]?(phone[_ ]?)?number|caller[ _-]?id|from_phone_numbers", re.IGNORECASE)
_AGENT = re.compile(r"\bagent", re.IGNORECASE)


class BolnaClient:
    def __init__(
        self,
        base_url: str,
        token: Secret,
        *,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.session = session or requests.Session()

    def start_call(
        self, agent_id: str, phone_e164: str, user_data: Mapping[str, Any], from_number: str = ""
    ) -> tuple[str, str]:
        """POST /call; returns the execution id and the status Bolna reports (`queued`)."""
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "recipient_phone_number": phone_e164,
            "user_data": dict(user_data),
        }
        if from_number:
            body["from_phone_number"] = from_number
        doc = self._request("POST", "/call", body, what="start the call")
        execution_id = doc.get("execution_id") if isinstance(doc, dict) else None
        if not isinstance(execution_id, str) or not is_safe_name(execution_id):
            # The call was probably queued, but without its id we can only wait for webhooks.
            raise BolnaError("unknown-outcome", "Bolna accepted the call but sent no usable execution_id")
        status = doc.get("status")
        return execution_id, status if isinstance(status, str) and status else "queued"

    def get_execution(self, execution_id: str) -> dict[str, Any]:
        """GET /executions/{id}: the same object Bolna posts as a webhook."""
        _check_id(execution_id)
        doc = self._request("GET", f"/executions/{execution_id}", None, what="read the execution")
        if not isinstance(doc, dict):
            raise BolnaError("bad-response", "Bolna answered the execution lookup with something other than an object")
        return doc

    def stop_call(self, execution_id: str) -> dict[str, Any]:
        """POST /call/{id}/stop: cancels a queued or scheduled call."""
        _check_id(execution_id)
        doc = self._request("POST", f"/call/{execution_id}/stop", None, what="stop the call")
        return doc if isinstance(doc, dict) else {}

    def account(self) -> dict[str, Any]:
        """GET /user/me: {"id", "name", "email", "wallet", "concurrency": {"max", "current"}}."""
        doc = self._request("GET", "/user/me", None, what="read the account")
        if not isinstance(doc, dict):
            raise BolnaError("bad-response", "Bolna answered the account lookup with something other than an object")
        return doc

    def agent(self, agent_id: str) -> dict[str, Any]:
        """GET /v2/agent/{id}: whether the agent exists (it answers 404 or 400 if not)."""
        _check_id(agent_id)
        doc = self._request("GET", f"/v2/agent/{agent_id}", None, what="read the agent")
        return doc if isinstance(doc, dict) else {}

    # -- batches (DIALER_MODE=batch) --------------------------------------------------------

    def create_batch(self, agent_id: str, csv_bytes: bytes, from_numbers: Sequence[str] = ()) -> str:
        """POST /batches, multipart: agent_id, the CSV file, from_phone_numbers. Returns batch_id."""
        form: list[tuple[str, tuple[str | None, Any, str] | tuple[None, str]]] = [("agent_id", (None, agent_id))]
        form += [("from_phone_numbers", (None, number)) for number in from_numbers]
        form.append(("file", ("leads.csv", csv_bytes, "text/csv")))
        doc = self._request("POST", "/batches", None, what="create the batch", files=form)
        batch_id = doc.get("batch_id") if isinstance(doc, dict) else None
        if not isinstance(batch_id, str) or not is_safe_name(batch_id):
            raise BolnaError("unknown-outcome", "Bolna answered the batch upload without a usable batch_id")
        return batch_id

    def schedule_batch(self, batch_id: str, scheduled_at: str) -> dict[str, Any]:
        """POST /batches/{id}/schedule, multipart; `scheduled_at` in ISO 8601 with a numeric offset."""
        _check_id(batch_id)
        form = [("scheduled_at", (None, scheduled_at)), ("bypass_call_guardrails", (None, "false"))]
        doc = self._request("POST", f"/batches/{batch_id}/schedule", None, what="schedule the batch", files=form)
        return doc if isinstance(doc, dict) else {}

    def get_batch(self, batch_id: str) -> dict[str, Any]:
        """GET /batches/{id}: status (created, scheduled, queued, executed) and execution_status counts."""
        _check_id(batch_id)
        doc = self._request("GET", f"/batches/{batch_id}", None, what="read the batch")
        if not isinstance(doc, dict):
            raise BolnaError("bad-response", "Bolna answered the batch lookup with something other than an object")
        return doc

    def batch_executions(self, batch_id: str) -> list[dict[str, Any]]:
        """GET /batches/{id}/executions: a bare array of execution bodies, as the webhooks carry them."""
        _check_id(batch_id)
        doc = self._request("GET", f"/batches/{batch_id}/executions", None, what="read the batch's calls")
        if isinstance(doc, dict) and isinstance(doc.get("data"), list):
            doc = doc["data"]  # tolerated: the paginated shape of the agent executions endpoint
        if not isinstance(doc, list):
            raise BolnaError("bad-response", "Bolna answered the batch's calls with something other than an array")
        return [item for item in doc if isinstance(item, dict)]

    def _request(self, method: str, path: str, body: Any, *, what: str, files: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self._token.reveal()}", "Accept": "application/json"}
        sent_body = method == "POST"
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                json=body if files is None else None,
                files=files,
                headers=headers,
                timeout=self.timeout,
            )
        except requests.ConnectTimeout:
            raise BolnaError("network", f"could not reach Bolna to {what} (connect timeout)") from None
        except requests.Timeout:
            kind = "unknown-outcome" if sent_body else "network"
            raise BolnaError(kind, f"no answer from Bolna in {self.timeout:g} s to {what}") from None
        except requests.ConnectionError as exc:
            never_sent = _never_connected(exc)
            kind = "unknown-outcome" if sent_body and not never_sent else "network"
            reason = "connection refused or no route" if never_sent else "connection dropped"
            raise BolnaError(kind, f"could not reach Bolna to {what} ({reason})") from None
        except requests.RequestException as exc:
            raise BolnaError("network", f"request to Bolna failed: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise self._http_error(response, what, path)
        try:
            return response.json()
        except ValueError:
            raise BolnaError(
                "bad-response", f"Bolna answered {response.status_code} with a body that is not JSON"
            ) from None

    def _http_error(self, response: requests.Response, what: str, path: str = "") -> BolnaError:
        code = response.status_code
        detail = self._scrub(_server_message(response))
        suffix = f": {detail}" if detail else ""
        if code in (401, 403):
            return BolnaError("auth", f"Bolna refused the API key ({code}); check BOLNA_API_TOKEN{suffix}", code)
        if path in ("/call", "/batches") and code in (400, 404, 422):
            if _FROM_NUMBER.search(detail):
                note = f"Bolna refused the from-number ({code}); check BOLNA_FROM_NUMBER and Caller ID{suffix}"
                return BolnaError("from-number", note, code)
            if code == 404 or _AGENT.search(detail):
                return BolnaError(
                    "agent", f"Bolna does not know the agent ({code}); check BOLNA_AGENT_ID{suffix}", code
                )
        if code == 404:
            return BolnaError(
                "not-found",
                f"Bolna could not find what we asked for ({code}) to {what}; "
                f"check BOLNA_AGENT_ID and BOLNA_BASE_URL{suffix}",
                code,
            )
        if code == 429:
            return BolnaError("rate-limited", f"Bolna rate limit hit ({code}); will retry later{suffix}", code)
        if code >= 500:
            return BolnaError("server", f"Bolna server error ({code}); will retry later{suffix}", code)
        return BolnaError("bad-request", f"Bolna rejected the request to {what} ({code}){suffix}", code)

    def _scrub(self, text: str) -> str:
        secret = self._token.reveal()
        return text.replace(secret, "***") if secret else text


def _server_message(response: requests.Response) -> str:
    """Bolna's reason: {"error": int, "message": str} or {"detail": ...} on auth errors."""
    try:
        doc = response.json()
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    message = doc.get("message") or doc.get("detail") or ""
    if not isinstance(message, str):
        message = str(message)
    message = " ".join(message.split())
    return message[:_MESSAGE_LIMIT]


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the TCP connection was never made, so the request certainly was not sent."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _check_id(execution_id: str) -> None:
    if not is_safe_name(execution_id):
        raise BolnaError("bad-request", "refusing to use an execution id that is not [A-Za-z0-9._-]")
