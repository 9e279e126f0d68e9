"""The simulator's HTTP face: Bolna's endpoints, its answers and its error bodies.

Errors are {"error": int, "message": str}, or {"detail": ...} for a refused key, as Bolna's
reference shows them. An unknown agent answers 404, a from-number the account does not own
422: both are the account's trouble, not the lead's.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import orjson
from flask import Flask, Response, request

from devtools.sim_batches import BatchRefusedError, SimulatedBatch, parse_csv

if TYPE_CHECKING:
    from devtools.simulator import BolnaSimulator

_E164 = re.compile(r"\+[1-9]\d{6,14}")


def build_app(sim: BolnaSimulator) -> Flask:
    app = Flask("callpipe.bolna_simulator")

    @app.before_request
    def guard() -> Response | None:
        with sim.lock:
            sim.api_calls.append((request.method, request.path))
        fault = sim.take_fault()
        if fault is not None:
            return _json(fault, {"error": fault, "message": f"simulated error {fault}"})
        expected = sim.api_token()
        if expected and request.headers.get("Authorization", "") != f"Bearer {expected}":
            return _json(401, {"detail": "Invalid or missing API key"})
        return None

    @app.post("/call")
    def start_call() -> Response:
        doc = request.get_json(silent=True)
        if not isinstance(doc, dict):
            return _error(400, "the body must be a JSON object")
        agent_id, phone = doc.get("agent_id"), doc.get("recipient_phone_number")
        from_number = doc.get("from_phone_number") or ""
        if not isinstance(agent_id, str) or not agent_id:
            return _error(400, "agent_id is required")
        if not isinstance(phone, str) or not _E164.fullmatch(phone):
            return _error(400, "recipient_phone_number must be in E.164 format")
        user_data = doc.get("user_data") or {}
        if not isinstance(user_data, dict):
            return _error(400, "user_data must be an object")
        refused = _account_refusal(sim, agent_id, [from_number] if from_number else [])
        if refused is not None:
            return refused
        call = sim.place(agent_id, phone, user_data, str(from_number))
        return _json(200, {"message": "done", "status": "queued", "execution_id": call.execution_id})

    @app.get("/executions/<execution_id>")
    def get_execution(execution_id: str) -> Response:
        body = sim.execution(execution_id)
        return _json(200, body) if body is not None else _error(404, "execution not found")

    @app.post("/call/<execution_id>/stop")
    def stop_call(execution_id: str) -> Response:
        status, message = sim.stop_call(execution_id)
        if status != 200:
            return _error(status, message)
        return _json(200, {"message": "done", "status": "stopped", "execution_id": execution_id})

    @app.get("/user/me")
    def user_me() -> Response:
        return _json(200, sim.account())

    @app.get("/v2/agent/<agent_id>")
    def agent(agent_id: str) -> Response:
        if sim.agents is not None and agent_id not in sim.agents:
            return _error(404, "Agent not found")
        return _json(200, {"id": agent_id, "agent_name": "Callpipe Motors lead qualifier", "agent_status": "processed"})

    @app.post("/batches")
    def create_batch() -> Response:
        agent_id = request.form.get("agent_id", "")
        upload = request.files.get("file")
        if not agent_id:
            return _error(400, "agent_id is required")
        if upload is None:
            return _error(400, "file is required")
        numbers = request.form.getlist("from_phone_numbers")
        refused = _account_refusal(sim, agent_id, numbers)
        if refused is not None:
            return refused
        try:
            rows, total = parse_csv(upload.read())
        except BatchRefusedError as exc:
            return _error(exc.status, str(exc))
        batch = SimulatedBatch(agent_id, rows, total, numbers, time.time())
        sim.add_batch(batch)
        return _json(201, {"batch_id": batch.batch_id, "state": "created"})

    @app.post("/batches/<batch_id>/schedule")
    def schedule_batch(batch_id: str) -> Response:
        scheduled_at = request.form.get("scheduled_at", "")
        if not scheduled_at:
            return _error(400, "scheduled_at is required")
        try:
            sim.schedule_batch(batch_id, scheduled_at)
        except KeyError:
            return _error(404, "batch not found")
        except BatchRefusedError as exc:
            return _error(exc.status, str(exc))
        return _json(200, {"message": "success", "state": "scheduled"})

    @app.get("/batches/<batch_id>")
    def get_batch(batch_id: str) -> Response:
        doc = sim.batch_doc(batch_id)
        return _json(200, doc) if doc is not None else _error(404, "batch not found")

    @app.get("/batches/<batch_id>/executions")
    def batch_executions(batch_id: str) -> Response:
        found = sim.batch_executions(batch_id)
        return _json(200, found) if found is not None else _error(404, "batch not found")

    return app


def _account_refusal(sim: BolnaSimulator, agent_id: str, from_numbers: list[str]) -> Response | None:
    if sim.agents is not None and agent_id not in sim.agents:
        return _error(404, "Agent not found")
    unknown = [n for n in from_numbers if sim.numbers is not None and n not in sim.numbers]
    if unknown:
        return _error(422, f"from_phone_number {unknown[0]} is not a number on this account")
    return None


def _error(status: int, message: str) -> Response:
    return _json(status, {"error": status, "message": message})


def _json(status: int, doc: Any) -> Response:
    return Response(orjson.dumps(doc), status=status, mimetype="application/json")
