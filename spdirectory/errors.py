"""Error handling: JSON errors under /api, friendly pages elsewhere, never a stack trace."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}


class ApiError(Exception):
    """An error with an HTTP status, a stable code, a message and optional per-field errors."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or ERROR_CODES.get(status, "error")
        self.fields = fields


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/openreferral")


def json_error(
    status: int, message: str, code: str | None = None, fields: dict[str, Any] | None = None
) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": code or ERROR_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    if status == 401:
        # RFC 9110: a 401 names the scheme that would work.
        response.headers["WWW-Authenticate"] = 'Bearer realm="spdirectory"'
    return response, status


def size_limit_label(limit: int | None) -> str:
    """MAX_CONTENT_LENGTH in words people know: "16 MB", "1.5 MB", "500 KB"."""
    if not limit:
        return "the allowed size"
    mb = limit / (1024 * 1024)
    if mb >= 1:
        return f"{mb:.1f}".removesuffix(".0") + " MB"
    return f"{max(limit // 1024, 1)} KB"


def too_large_message() -> str:
    limit = size_limit_label(current_app.config.get("MAX_CONTENT_LENGTH"))
    return f"The file you chose is too large. Files must be smaller than {limit}."


def init_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return json_error(error.status, error.message, error.code, error.fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        message = "Your session expired or the form was not sent from this site. Please try again."
        if wants_json():
            return json_error(400, message, "csrf_failed")
        return render_template("errors/400.html", message=message), 400

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge) -> Any:
        # Raised while reading a body over MAX_CONTENT_LENGTH (an upload, a large JSON body).
        if wants_json() or request.is_json:
            limit = size_limit_label(current_app.config.get("MAX_CONTENT_LENGTH"))
            return json_error(
                413, f"The request body is too large. It must be smaller than {limit}."
            )
        return render_template("errors/413.html", message=too_large_message()), 413

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if wants_json():
            response, status = json_error(status, error.description or "Error")
            # Keep Werkzeug's headers, such as Allow on a 405.
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response, status
        template = f"errors/{status}.html" if status in (400, 403, 404, 429) else "errors/500.html"
        # Werkzeug fills in its own technical wording; show only messages our code chose.
        custom = error.description if error.description != type(error).description else None
        return render_template(template, message=custom), status

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        app.logger.exception("Unhandled error")
        if wants_json():
            return json_error(500, "Something went wrong on our side. It has been logged.")
        return render_template("errors/500.html", message=None), 500

    # Keep InternalServerError from debug-mode passthrough producing HTML for API callers.
    app.register_error_handler(InternalServerError, _unexpected)
