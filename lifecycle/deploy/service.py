"""The scoring service: a Starlette app, served by uvicorn in a process of its own.

Routes: ``POST /invocations`` (MLflow's scoring protocol), ``POST /predict`` (Lifecycle's rows,
answered with probabilities, the version and a request id), ``POST /feedback`` (the true label
of a request), ``GET /metadata``, ``/ping``, ``/health`` and ``/version``.

It serves from the deploy folder only (the manifest and the skops artifacts it names, loaded
through the registry's safe loader) and never opens the workspace database. Each request is sent
to a version by the manifest's traffic shares, deterministically by its request id (a client may
send ``X-Request-Id``); a shadow version scores the same rows afterwards without answering.
Single-row requests to one version are scored together by a small batcher, through the version's
compiled row path (``fastpath``, verified against its pipeline at load) when it has one
(``LIFECYCLE_SERVE_COMPILED=0`` turns that off). Every request is logged (``prediction_log``)
without waiting for the disk.

Run it with ``python -m lifecycle.deploy.service --deploy-dir D --log-dir L [--host H] [--port N]
[--parent-pid PID]``; bound to anything but loopback it needs ``LIFECYCLE_SERVE_TOKEN`` and then
asks every route but ``/health`` for ``Authorization: Bearer <token>``.

Imports stay within what an exported bundle vendors: the standard library, numpy, pandas,
pyarrow, scikit-learn, skops, starlette, uvicorn and ``lifecycle.deploy`` with its few helpers.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import lifecycle
from lifecycle.deploy import process
from lifecycle.deploy.bearer import BearerAuth
from lifecycle.deploy.live import Deployment, Live, Served
from lifecycle.deploy.paths import predictions_dir
from lifecycle.deploy.prediction_log import ANSWER, SHADOW, PredictionLog
from lifecycle.deploy.process import PortTaken
from lifecycle.deploy.protocol import (RequestError, feedback_items, invocation_rows, predict_rows, read_body,
                                       request_id as given_request_id)
from lifecycle.deploy.recent_ids import RecentIds
from lifecycle.deploy.schema import SchemaError, check_strict
from lifecycle.deploy.settings import LOOPBACK, ServeSettings, serve_settings
from lifecycle.errors import InputError

LOGGER = logging.getLogger("lifecycle.deploy.service")


class Service:
    """The routes' shared state: the deployment, the log and the limits."""

    def __init__(self, deploy_folder: Path, log_folder: Path | None, *, settings: ServeSettings,
                 max_batch_rows: int = 64, max_wait_s: float = 0.002, watch: bool = True):
        self.settings = settings
        self.deployment = Deployment(deploy_folder, max_batch_rows=max_batch_rows, max_wait_s=max_wait_s,
                                     compiled=os.environ.get("LIFECYCLE_SERVE_COMPILED", "1") != "0")
        self.log = (PredictionLog(log_folder, flush_rows=settings.flush_rows, flush_seconds=settings.flush_seconds)
                    if log_folder is not None else None)
        self.watch = watch
        self.recent = RecentIds()  # ids answered lately: /feedback names the ones it does not know
        self.recent.seed(predictions_dir(log_folder) if log_folder is not None else None)
        self.started = time.time()
        self._shadow_tasks: set[asyncio.Task] = set()
        self.deployment.refresh()

    # --- scoring ---------------------------------------------------------------------------

    async def score(self, request: Request, route: str) -> Response:
        start = time.perf_counter()
        request_id = given_request_id(request.headers.get("x-request-id"))
        live = self.deployment.live
        served: Served | None = None
        try:
            body = await self._body(request)
            if live is None:
                raise RequestError(503, "No model version is being served. "
                                        + (self.deployment.refusal or "Promote a version to production."))
            served = live.route(request_id)
            if route == "predict":
                records = predict_rows(request.headers.get("content-type"), body)
            else:
                records = invocation_rows(request.headers.get("content-type"), body, served.checker.names)
            if len(records) > self.settings.max_rows:
                raise RequestError(413, f"The request holds {len(records):,} rows, over the limit of "
                                        f"{self.settings.max_rows:,} (LIFECYCLE_SERVE_MAX_ROWS); send smaller batches.")
            results, logged_inputs = await _score(served, records)
        except (RequestError, InputError) as error:  # SchemaError is an InputError naming rows and columns
            return self._refused(error, route, request_id, served, start)
        latency = (time.perf_counter() - start) * 1000.0
        classes = served.loaded.class_names
        predictions = [served.loaded.named(p) for p, _ in results]
        probabilities = ([dict(zip(map(str, classes), probs)) for _, probs in results]
                         if classes and results and results[0][1] is not None else None)
        self.recent.add(request_id)
        if self.log is not None:
            entry = served.entry
            self.log.log(request_id=request_id, version_id=entry.version_id, version=entry.version, role=ANSWER,
                         route=route, status=200, latency_ms=latency, inputs=logged_inputs, predictions=predictions,
                         outputs=probabilities or (), input_schema=entry.input_schema)
        if live.shadow is not None:
            task = asyncio.get_running_loop().create_task(self._shadow(live.shadow, records, request_id, route))
            self._shadow_tasks.add(task)
            task.add_done_callback(self._shadow_tasks.discard)
        headers = {"X-Request-Id": request_id, "X-Model-Version": str(served.entry.version_id)}
        if route == "invocations":
            return JSONResponse({"predictions": predictions}, headers=headers)
        answer: dict[str, Any] = {"request_id": request_id, "version_id": served.entry.version_id,
                                  "version": served.entry.version, "model": served.entry.label,
                                  "predictions": predictions}
        if probabilities is not None:
            answer["classes"] = list(classes)
            answer["probabilities"] = probabilities
        return JSONResponse(answer, headers=headers)

    async def _shadow(self, served: Served, records, request_id: str, route: str) -> None:
        start = time.perf_counter()
        status, error, results, inputs = 200, None, [], []
        try:
            results, inputs = await _score(served, records)
        except SchemaError as refused:
            status, error = 422, str(refused)
        except Exception as failure:  # noqa: BLE001 - a shadow never harms the answer
            status, error = 500, f"{type(failure).__name__}: {failure}"
            LOGGER.exception("The shadow version %s failed", served.entry.label)
        if self.log is not None:
            classes = served.loaded.class_names
            self.log.log(request_id=request_id, version_id=served.entry.version_id, version=served.entry.version,
                         role=SHADOW, route=route, status=status, latency_ms=(time.perf_counter() - start) * 1000.0,
                         inputs=inputs, predictions=[served.loaded.named(p) for p, _ in results],
                         outputs=[dict(zip(map(str, classes), probs)) for _, probs in results]
                         if classes and results and results[0][1] is not None else (), error=error,
                         input_schema=served.entry.input_schema)

    def _refused(self, error: Exception, route: str, request_id: str, served: Served | None,
                 start: float) -> Response:
        if isinstance(error, SchemaError):
            status, message = (422 if route == "predict" else 400), str(error)
            problems = [asdict(p) for p in error.problems]
        elif isinstance(error, RequestError):
            status, message, problems = error.status, error.message, None
        else:
            status, message, problems = 400, str(error), None
        if self.log is not None:
            entry = served.entry if served is not None else None
            self.log.log(request_id=request_id, version_id=entry and entry.version_id,
                         version=entry and entry.version, role=ANSWER, route=route, status=status,
                         latency_ms=(time.perf_counter() - start) * 1000.0, error=message)
        if route == "invocations":  # MLflow's error shape
            body: dict[str, Any] = {"error_code": "BAD_REQUEST" if status < 500 else "SERVICE_UNAVAILABLE",
                                    "message": message}
        else:
            body = {"error": message, "request_id": request_id}
        if problems is not None:
            body["problems"] = problems
        return JSONResponse(body, status_code=status, headers={"X-Request-Id": request_id})

    async def _body(self, request: Request) -> bytes:
        return await read_body(request.headers.get("content-length"), request.stream(), self.settings.max_body_bytes)

    # --- the other routes ------------------------------------------------------------------

    async def predict(self, request: Request) -> Response:
        return await self.score(request, "predict")

    async def invocations(self, request: Request) -> Response:
        return await self.score(request, "invocations")

    async def feedback(self, request: Request) -> Response:
        """``{"request_id": ID, "label": VALUE[, "row": N]}`` or a list of them. Answers how many
        were recorded and, under ``unknown_request_ids``, the ids this service has not answered lately
        (recorded all the same: they join if their prediction is in the log)."""
        try:
            checked = feedback_items(request.headers.get("content-type"), await self._body(request),
                                     self.settings.max_rows)
        except RequestError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)
        if self.log is not None:
            for request_id, label, row in checked:
                self.log.feedback(request_id, label, row=row)
        answer: dict[str, Any] = {"recorded": len(checked)}
        unknown = self.recent.unknown(request_id for request_id, _, _ in checked)
        if unknown:
            answer["unknown_request_ids"] = unknown[:100]
            answer["unknown"] = len(unknown)
            answer["note"] = (f"{len(unknown)} request id(s) were not answered by this service lately (the last "
                              f"{self.recent.capacity:,} requests); their labels are recorded but join nothing unless "
                              "that request is in the prediction log. Send the X-Request-Id each answer carried.")
        return JSONResponse(answer)

    async def metadata(self, request: Request) -> Response:
        live = self.deployment.live
        if live is None:
            return JSONResponse({"error": self.deployment.refusal or "No model version is being served."},
                                status_code=503)
        manifest = live.manifest

        def describe(served: Served) -> dict[str, Any]:
            entry = served.entry
            return {"version_id": entry.version_id, "version": entry.version, "label": entry.label,
                    "share": entry.share, "artifact_hash": entry.artifact_hash, "classes": list(served.loaded.class_names),
                    "input_schema": [asdict(c) for c in entry.input_schema]}

        return JSONResponse({"project": manifest.project, "project_id": manifest.project_id, "task": manifest.task,
                             "positive_class": manifest.positive_class, "generation": manifest.generation,
                             "versions": [describe(s) for s in live.answering],
                             "shadow": describe(live.shadow) if live.shadow is not None else None})

    async def ping(self, request: Request) -> Response:
        return PlainTextResponse("\n", status_code=200 if self.deployment.live is not None else 503)

    async def health(self, request: Request) -> Response:
        live = self.deployment.live
        answer: dict[str, Any] = {"status": "ok" if live is not None else "no model",
                                  "uptime_s": round(time.time() - self.started, 1),
                                  "generation": live.manifest.generation if live else None,
                                  "serving": _serving(live), "reason": self.deployment.refusal,
                                  "log": None if self.log is None else {
                                      "pending_rows": self.log.predictions.pending,
                                      "segments_written": self.log.predictions.segments_written}}
        return JSONResponse(answer, status_code=200 if live is not None else 503)

    async def version(self, request: Request) -> Response:
        live = self.deployment.live
        return JSONResponse({"service": "lifecycle-scoring", "lifecycle": lifecycle.__version__,
                             "generation": live.manifest.generation if live else None, "serving": _serving(live)})

    @asynccontextmanager
    async def lifespan(self, app):
        if self.watch:
            self.deployment.start_watching()
        try:
            yield
        finally:
            if self._shadow_tasks:
                await asyncio.wait(list(self._shadow_tasks), timeout=5)
            self.deployment.close()
            if self.log is not None:
                self.log.close()


async def _score(served: Served, records) -> tuple[list, list]:
    """(prediction, probabilities) per row and the rows as logged; SchemaError names bad rows."""
    if isinstance(records, pd.DataFrame):  # CSV: the one full check, on the scoring thread
        def whole() -> tuple[list, list]:
            frame = check_strict(served.entry.input_schema, records)
            return served.score_frame(frame), records.to_dict("records")
        return await served.batcher.run_alone(whole)
    if len(records) <= served.batcher.max_rows:
        rows = served.checker.check(records)
        return await served.batcher.submit(rows), records
    checker = served.checker
    return await served.batcher.run_alone(lambda: served.score_rows(checker.check(records))), records


def _serving(live: Live | None) -> list[dict[str, Any]]:
    if live is None:
        return []
    entries = [(s, "answer") for s in live.answering] + ([(live.shadow, "shadow")] if live.shadow else [])
    return [{"version_id": s.entry.version_id, "version": s.entry.version, "label": s.entry.label,
             "share": s.entry.share, "role": role} for s, role in entries]


async def _internal_error(request: Request, error: Exception) -> Response:
    LOGGER.exception("Unexpected error on %s", request.url.path, exc_info=error)
    return JSONResponse({"error": f"The service failed on this request ({type(error).__name__}); "
                                  "see the service's log."}, status_code=500)


def create_app(deploy_folder: Path, log_folder: Path | None, *, settings: ServeSettings | None = None,
               max_batch_rows: int = 64, max_wait_s: float = 0.002, watch: bool = True):
    """The ASGI app serving ``deploy_folder``'s manifest, logging into ``log_folder`` (None: no log).

    ``settings`` default to the environment (``serve_settings``); with a token set, every route but
    ``/health`` needs it. ``app.state.service`` is the :class:`Service` (tests refresh through it)."""
    settings = settings or serve_settings()
    service = Service(deploy_folder, log_folder, settings=settings, max_batch_rows=max_batch_rows,
                      max_wait_s=max_wait_s, watch=watch)
    routes = [Route("/invocations", service.invocations, methods=["POST"]),
              Route("/predict", service.predict, methods=["POST"]),
              Route("/feedback", service.feedback, methods=["POST"]),
              Route("/metadata", service.metadata, methods=["GET"]),
              Route("/ping", service.ping, methods=["GET"]),
              Route("/health", service.health, methods=["GET"]),
              Route("/version", service.version, methods=["GET"])]
    app = Starlette(routes=routes, lifespan=service.lifespan, exception_handlers={Exception: _internal_error})
    app.state.service = service
    return BearerAuth(app, settings.token) if settings.token else app


# --- running it ---------------------------------------------------------------------------------


def _watch_parent(parent_pid: int, server) -> None:
    while not server.should_exit:
        if not process.alive(parent_pid):
            LOGGER.warning("The parent process %s ended; stopping the scoring service.", parent_pid)
            server.should_exit = True
            return
        time.sleep(0.5)


def serve(deploy_folder: Path, log_folder: Path | None, *, host: str = "127.0.0.1", port: int = process.DEFAULT_PORT,
          parent_pid: int | None = None, max_batch_rows: int = 64, max_wait_s: float = 0.002,
          settings: ServeSettings | None = None, announce=print) -> None:
    """Serve in the foreground until stopped (SIGINT/SIGTERM) or, with ``parent_pid``, until that process ends.

    Raises PermissionError for a non-loopback host without a token, PortTaken when the port is in use."""
    import uvicorn

    settings = settings or serve_settings()
    if host not in LOOPBACK and not settings.token:
        raise PermissionError(f"Refusing to listen on {host} without a token: set LIFECYCLE_SERVE_TOKEN (every "
                              "route but /health will then need 'Authorization: Bearer <token>'), or bind 127.0.0.1.")
    sock = process.bind(host, port)
    app = create_app(deploy_folder, log_folder, settings=settings, max_batch_rows=max_batch_rows,
                     max_wait_s=max_wait_s)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5, server_header=False)
    server = uvicorn.Server(config)
    if parent_pid:
        threading.Thread(target=_watch_parent, args=(parent_pid, server), name="parent-watch", daemon=True).start()
    process.write_pid_file(deploy_folder, host=host, port=port, parent_pid=parent_pid)
    service = app.app.state.service if isinstance(app, BearerAuth) else app.state.service
    announce(f"Scoring service on http://{host}:{port} serving {_describe(service)}"
             + ("" if log_folder is not None else " (prediction log off)"))
    # uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the previous
    # handler: make that one a no-op, so a stop is a clean exit 0 (no KeyboardInterrupt, no -15).
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, lambda *_: setattr(server, "should_exit", True))
    try:
        server.run(sockets=[sock])
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        process.remove_pid_file(deploy_folder)
        sock.close()


def _describe(service: Service) -> str:
    live = service.deployment.live
    if live is None:
        return f"nothing yet ({service.deployment.refusal})"
    return ", ".join(f"{s['label']} ({s['role']}, {s['share']:.0%})" for s in _serving(live))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lifecycle.deploy.service", description=__doc__.split("\n")[0])
    parser.add_argument("--deploy-dir", type=Path, required=True, help="folder holding manifest.json")
    parser.add_argument("--log-dir", type=Path, required=True, help="folder for the prediction and feedback logs")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=process.DEFAULT_PORT)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process ends")
    parser.add_argument("--no-log", action="store_true", help="do not log predictions (benchmarks only)")
    parser.add_argument("--batch-rows", type=int, default=64, help="most rows scored in one batch")
    parser.add_argument("--batch-wait-ms", type=float, default=2.0, help="longest wait for a batch to fill")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(args.deploy_dir, None if args.no_log else args.log_dir, host=args.host, port=args.port,
              parent_pid=args.parent_pid, max_batch_rows=args.batch_rows, max_wait_s=args.batch_wait_ms / 1000.0,
              announce=lambda text: print(text, flush=True))
    except (PermissionError, PortTaken, ValueError) as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
