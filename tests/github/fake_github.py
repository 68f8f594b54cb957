"""A fake GitHub, on a loopback port (`serve`) or mounted through respx (`mounted`): the REST
subset Kintsugi calls, with GitHub's auth rules, and real git remotes (bare repositories served
by `git http-backend`) — recording every call."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import respx
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.github import fake_shapes as shapes

GIT_HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
Handler = Callable[[Request], Awaitable[Response]]


def generate_private_key() -> tuple[str, str]:
    """A fresh RSA key pair as (private PEM, public PEM), like the one GitHub hands an App."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    auth: str  # "jwt", "token:<installation id>" or "none"
    route: str = ""  # the route's template, e.g. "/repos/{owner}/{repo}/pulls"
    status: int = 0
    response: Any = None


@dataclass
class FakeRepository:
    owner: str
    name: str
    bare: Path
    installation_id: int
    default_branch: str = "main"
    permissions: dict[str, str] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    reactions: list[dict[str, Any]] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[int, list[str]] = field(default_factory=dict)
    check_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(self.bare), *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def branches(self) -> set[str]:
        out = self.git("for-each-ref", "--format=%(refname:short)", "refs/heads")
        return set(out.split())

    def commit(self, branch: str, files: dict[str, str], message: str, base: str = "") -> str:
        """Commit `files` on top of `base` (default: `branch`, else the default branch) and
        point `branch` at it, as a push would; returns the new commit's sha."""
        parent = self.git(
            "rev-parse", base or (branch if branch in self.branches() else self.default_branch)
        ).strip()
        index = self.bare / f"kintsugi-fake-index-{secrets.token_hex(4)}"
        env = {**os.environ, "GIT_INDEX_FILE": str(index)}

        def git(*args: str, stdin: str | None = None) -> str:
            return subprocess.run(
                ["git", "--git-dir", str(self.bare), *args],
                check=True,
                capture_output=True,
                text=True,
                input=stdin,
                env=env,
            ).stdout.strip()

        try:
            git("read-tree", parent)
            for path, text in files.items():
                blob = git("hash-object", "-w", "--stdin", stdin=text)
                git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
            tree = git("write-tree")
            sha = git(
                "-c",
                "user.name=Dev",
                "-c",
                "user.email=dev@example.test",
                "commit-tree",
                tree,
                "-p",
                parent,
                "-m",
                message,
            )
            git("update-ref", f"refs/heads/{branch}", sha)
        finally:
            index.unlink(missing_ok=True)
        return sha


class FakeGitHub:
    """GitHub's REST API and git smart HTTP for the repositories it is given."""

    def __init__(self, app_id: int, public_key_pem: str) -> None:
        self.app_id = app_id
        self.public_key = public_key_pem
        self.repositories: dict[str, FakeRepository] = {}
        self.tokens: dict[str, tuple[int, datetime]] = {}
        self.requests: list[Recorded] = []
        self.git_requests: list[tuple[str, str]] = []  # (user, path) of each git request
        self._failures: list[tuple[str, str, int]] = []
        self._ids = iter(range(1000, 10**9))
        self.url = ""
        self.web_url = shapes.WEB
        # The App manifest flow: codes handed out by "Create GitHub App", the App they made.
        self.manifest_codes: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.registered_app: dict[str, Any] | None = None
        self.app_private_key = ""  # the PEM of an App the manifest flow created
        self.webhook_secret = ""  # what GitHub signs the App's deliveries with
        self.app = Starlette(routes=self._routes())

    # ---- set-up -----------------------------------------------------------------------------

    def add_repository(self, repo: FakeRepository) -> FakeRepository:
        self.repositories[repo.full_name] = repo
        return repo

    def fail_next(self, method: str, path_suffix: str, status: int, times: int = 1) -> None:
        """Answer the next `times` matching requests with `status` (e.g. 502) first."""
        self._failures.extend([(method, path_suffix, status)] * times)

    def create_app_from_manifest(
        self, manifest: dict[str, Any], owner: str = "octocat", *, organisation: bool = False
    ) -> str:
        """What GitHub does when the user presses "Create GitHub App" on the manifest's page:
        a one-time code for the redirect back (valid for one conversion)."""
        code = secrets.token_hex(10)
        kind = "Organization" if organisation else "User"
        self.manifest_codes[code] = (manifest, shapes.user(self._api(), owner, kind))
        return code

    def clone_url(self, repo: FakeRepository) -> str:
        return f"{self.url}/git/{repo.owner}/{repo.name}.git"

    def calls(self, method: str, path_part: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # ---- auth, as GitHub checks it ------------------------------------------------------------

    def _auth(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "bearer":
            claims = jwt.decode(
                credential,
                self.public_key,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
                leeway=0,
            )
            if str(claims["iss"]) != str(self.app_id):
                raise PermissionError("JWT issuer is not this App")
            if claims["exp"] - claims["iat"] > 600 + 60:
                raise PermissionError("JWT lives longer than 10 minutes")
            return "jwt"
        if scheme.lower() == "token":
            known = self.tokens.get(credential)
            if known is None or known[1] <= datetime.now(UTC):
                raise PermissionError("Bad credentials")
            return f"token:{known[0]}"
        return "none"

    def _repo_for(self, request: Request, auth: str) -> FakeRepository:
        repo = self.repositories.get(
            f"{request.path_params['owner']}/{request.path_params['repo']}"
        )
        if repo is None or auth != f"token:{repo.installation_id}":
            raise LookupError
        return repo

    # ---- routing ----------------------------------------------------------------------------

    REST_ROUTES = (
        ("POST", "/app-manifests/{code}/conversions"),
        ("GET", "/app"),
        ("PATCH", "/app/hook/config"),
        ("POST", "/app/installations/{iid}/access_tokens"),
        ("GET", "/repos/{owner}/{repo}"),
        ("GET", "/repos/{owner}/{repo}/branches/{branch}"),
        ("GET", "/repos/{owner}/{repo}/collaborators/{user}/permission"),
        ("POST", "/repos/{owner}/{repo}/issues/{number}/comments"),
        ("POST", "/repos/{owner}/{repo}/issues/comments/{cid}/reactions"),
        ("POST", "/repos/{owner}/{repo}/issues/{number}/labels"),
        ("GET", "/repos/{owner}/{repo}/contents/{path}"),
        ("GET", "/repos/{owner}/{repo}/pulls"),
        ("POST", "/repos/{owner}/{repo}/pulls"),
        ("POST", "/repos/{owner}/{repo}/check-runs"),
        ("PATCH", "/repos/{owner}/{repo}/check-runs/{rid}"),
        ("GET", "/repos/{owner}/{repo}/issues"),
        ("POST", "/repos/{owner}/{repo}/issues"),
        ("PATCH", "/repos/{owner}/{repo}/issues/{number}"),
    )

    def _routes(self) -> list[Route]:
        r = "/repos/{owner}/{repo}"

        def rest(path: str, handler: Handler, methods: list[str]) -> Route:
            # Starlette's converters (`:int`, `:path`) are not part of GitHub's route names.
            template = re.sub(r":[a-z]+}", "}", path)
            return Route(path, self._recorded(template, handler), methods=methods)

        return [
            rest("/app-manifests/{code}/conversions", self._conversion, ["POST"]),
            rest("/app", self._get_app, ["GET"]),
            rest("/app/hook/config", self._hook_config, ["PATCH"]),
            rest("/app/installations/{iid:int}/access_tokens", self._access_token, ["POST"]),
            rest(r, self._repository, ["GET"]),
            rest(r + "/branches/{branch:path}", self._branch, ["GET"]),
            rest(r + "/collaborators/{user}/permission", self._permission, ["GET"]),
            rest(r + "/issues/{number:int}/comments", self._comment, ["POST"]),
            rest(r + "/issues/comments/{cid:int}/reactions", self._reaction, ["POST"]),
            rest(r + "/issues/{number:int}/labels", self._labels, ["POST"]),
            rest(r + "/contents/{path:path}", self._contents, ["GET"]),
            rest(r + "/pulls", self._pulls, ["GET", "POST"]),
            rest(r + "/check-runs", self._check_run, ["POST"]),
            rest(r + "/check-runs/{rid:int}", self._check_run, ["PATCH"]),
            rest(r + "/issues", self._issues, ["GET", "POST"]),
            rest(r + "/issues/{number:int}", self._issue, ["PATCH"]),
            Route("/git/{owner}/{repo}.git/{rest:path}", self._git, methods=["GET", "POST"]),
        ]

    def _recorded(self, template: str, handler: Handler) -> Handler:
        """`handler`, with its route, status and JSON answer kept on the request's record."""

        async def endpoint(request: Request) -> Response:
            response = await handler(request)
            record: Recorded | None = getattr(request.state, "recorded", None)
            if record is not None:
                record.route = template
                record.status = response.status_code
                record.response = json.loads(bytes(response.body)) if response.body else None
            return response

        return endpoint

    async def _record(self, request: Request, auth: str) -> Any:
        raw = await request.body()
        body = json.loads(raw) if raw else None
        record = Recorded(request.method, request.url.path, dict(request.query_params), body, auth)
        request.state.recorded = record
        self.requests.append(record)
        return body

    def _injected_failure(self, request: Request) -> Response | None:
        # The suffix may include the query, so a push (`info/refs?service=git-receive-pack`)
        # can fail while a clone of the same repository succeeds.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        for index, (method, suffix, status) in enumerate(self._failures):
            if method == request.method and (
                request.url.path.endswith(suffix) or target.endswith(suffix)
            ):
                del self._failures[index]
                # What GitHub says when an installation token lacks the permission a call needs.
                message = "Resource not accessible by integration" if status == 403 else "Error"
                return JSONResponse(
                    {"message": message, "documentation_url": "https://docs.github.com/rest"},
                    status_code=status,
                )
        return None

    async def _guarded(self, request: Request) -> tuple[str, Any] | Response:
        try:
            auth = self._auth(request)
        except (jwt.PyJWTError, PermissionError) as error:
            await self._record(request, "rejected")
            return JSONResponse({"message": f"Bad credentials: {error}"}, status_code=401)
        body = await self._record(request, auth)
        failure = self._injected_failure(request)
        if failure is not None:
            return failure
        return auth, body

    # ---- REST endpoints ---------------------------------------------------------------------

    async def _conversion(self, request: Request) -> Response:
        # GitHub takes the code alone: no credentials, and a code works exactly once.
        await self._record(request, "none")
        failure = self._injected_failure(request)
        if failure is not None:
            return failure
        found = self.manifest_codes.pop(request.path_params["code"], None)
        if found is None:
            return JSONResponse(
                {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
                404,
            )
        manifest, owner = found
        self.app_id = next(self._ids)
        self.app_private_key, self.public_key = generate_private_key()
        self.webhook_secret = secrets.token_hex(20)
        self.registered_app = shapes.github_app(
            self._api(), self.app_id, manifest, owner, web=self.web_url
        )
        self.registered_app["hook_url"] = manifest["hook_attributes"]["url"]
        body = shapes.manifest_conversion(
            _public(self.registered_app),
            client_secret=secrets.token_hex(20),
            webhook_secret=self.webhook_secret,
            pem=self.app_private_key,
        )
        return JSONResponse(body, status_code=201)

    async def _app_call(self, request: Request) -> Response | None:
        guarded = await self._guarded(request)
        if isinstance(guarded, Response):
            return guarded
        if guarded[0] != "jwt":
            return JSONResponse({"message": "A JSON web token could not be decoded"}, 401)
        return None

    def _app_json(self) -> dict[str, Any]:
        if self.registered_app is None:
            manifest = {"name": "Kintsugi", "url": "https://kintsugi.test"}
            self.registered_app = shapes.github_app(
                self._api(), self.app_id, manifest, shapes.user(self._api(), "octo")
            )
        return self.registered_app

    async def _get_app(self, request: Request) -> Response:
        refused = await self._app_call(request)
        return refused or JSONResponse(_public(self._app_json()))

    async def _hook_config(self, request: Request) -> Response:
        refused = await self._app_call(request)
        if refused is not None:
            return refused
        body = json.loads(await request.body() or b"{}")
        if "secret" in body:
            self.webhook_secret = str(body["secret"])
        app = self._app_json()
        app["hook_url"] = str(body.get("url") or app.get("hook_url", ""))
        return JSONResponse(shapes.webhook_config(app["hook_url"]))

    async def _access_token(self, request: Request) -> Response:
        guarded = await self._guarded(request)
        if isinstance(guarded, Response):
            return guarded
        auth, _ = guarded
        if auth != "jwt":
            return JSONResponse({"message": "A JSON web token could not be decoded"}, 401)
        iid = request.path_params["iid"]
        if not any(repo.installation_id == iid for repo in self.repositories.values()):
            return JSONResponse({"message": "Not Found"}, 404)
        token = "ghs_" + secrets.token_urlsafe(27)
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        self.tokens[token] = (iid, expires)
        return JSONResponse(
            {
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": {"issues": "write", "pull_requests": "write"},
                "repository_selection": "selected",
            },
            status_code=201,
        )

    def _api(self) -> str:
        return self.url or "http://fake-github.test"

    def _repository_json(self, repo: FakeRepository) -> dict[str, Any]:
        return shapes.repository(
            self._api(),
            repo.owner,
            repo.name,
            default_branch=repo.default_branch,
            clone_url=self.clone_url(repo),
        )

    async def _repo_call(self, request: Request) -> tuple[FakeRepository, Any] | Response:
        guarded = await self._guarded(request)
        if isinstance(guarded, Response):
            return guarded
        auth, body = guarded
        try:
            return self._repo_for(request, auth), body
        except LookupError:
            return JSONResponse({"message": "Not Found"}, 404)

    async def _repository(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, _ = found
        return JSONResponse(self._repository_json(repo))

    async def _branch(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, _ = found
        name = request.path_params["branch"]
        if name not in repo.branches():
            return JSONResponse({"message": "Branch not found"}, 404)
        sha = repo.git("rev-parse", f"refs/heads/{name}").strip()
        return JSONResponse(shapes.branch(self._api(), repo.full_name, name, sha))

    async def _permission(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, _ = found
        user = request.path_params["user"]
        role = repo.permissions.get(user)
        if role is None:
            return JSONResponse({"message": f"{user} is not a user"}, 404)
        return JSONResponse(shapes.collaborator_permission(self._api(), user, role))

    async def _comment(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, body = found
        cid = next(self._ids)
        number = request.path_params["number"]
        comment = shapes.issue_comment(
            self._api(), repo.full_name, number, cid, body["body"], self._bot()
        )
        repo.comments.append(comment)
        return JSONResponse(_public(comment), status_code=201)

    def _bot(self) -> dict[str, Any]:
        return shapes.user(self._api(), "kintsugi[bot]", "Bot")

    async def _reaction(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, body = found
        cid = request.path_params["cid"]
        for existing in repo.reactions:
            if existing["comment_id"] == cid and existing["content"] == body["content"]:
                return JSONResponse(_public(existing), 200)  # GitHub: already reacted
        reaction = {
            **shapes.reaction(next(self._ids), body["content"], self._bot()),
            "comment_id": cid,
        }
        repo.reactions.append(reaction)
        return JSONResponse(_public(reaction), status_code=201)

    async def _labels(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, body = found
        names = body["labels"] if isinstance(body, dict) else body
        current = repo.labels.setdefault(request.path_params["number"], [])
        current.extend(name for name in names if name not in current)
        return JSONResponse([shapes.label(self._api(), repo.full_name, n) for n in current])

    async def _contents(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, _ = found
        ref = request.query_params.get("ref", repo.default_branch)
        path = request.path_params["path"]
        try:
            text = repo.git("show", f"{ref}:{path}")
        except subprocess.CalledProcessError:
            return JSONResponse({"message": "Not Found"}, 404)
        encoded = base64.b64encode(text.encode()).decode()
        return JSONResponse(shapes.content_file(self._api(), repo.full_name, path, ref, encoded))

    async def _pulls(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, body = found
        if request.method == "GET":
            head = request.query_params.get("head", "")
            state = request.query_params.get("state", "open")
            chosen = [
                pull
                for pull in repo.pulls
                if (not head or f"{repo.owner}:{pull['head']['ref']}" == head)
                and (state == "all" or pull["state"] == state)
            ]
            return JSONResponse(chosen)
        if body["head"] not in repo.branches():
            return JSONResponse(
                {"message": "Validation Failed", "errors": [{"field": "head"}]}, 422
            )
        if any(p["head"]["ref"] == body["head"] and p["state"] == "open" for p in repo.pulls):
            return JSONResponse({"message": "A pull request already exists"}, 422)
        number = len(repo.pulls) + 1000
        pull = shapes.pull_request(
            self._api(),
            self._repository_json(repo),
            number,
            title=body["title"],
            body=body.get("body", ""),
            draft=bool(body.get("draft", False)),
            head=(body["head"], repo.git("rev-parse", body["head"]).strip()),
            base=(body["base"], repo.git("rev-parse", body["base"]).strip()),
            author=self._bot(),
        )
        repo.pulls.append(pull)
        return JSONResponse(pull, status_code=201)

    async def _check_run(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, body = found
        if request.method == "POST":
            rid = next(self._ids)
            run = shapes.check_run(self._api(), repo.full_name, rid, self.app_id, body)
            shapes.updated_check_run(run, body)
            run["history"] = [run["status"]]
            repo.check_runs[rid] = run
            return JSONResponse(_public(run), status_code=201)
        existing = repo.check_runs.get(request.path_params["rid"])
        if existing is None:
            return JSONResponse({"message": "Not Found"}, 404)
        shapes.updated_check_run(existing, body)
        existing["history"].append(existing["status"])
        return JSONResponse(_public(existing))

    async def _issues(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, body = found
        if request.method == "GET":
            query = request.query_params
            wanted = {n.strip() for n in query.get("labels", "").split(",") if n.strip()}
            state, creator = query.get("state", "open"), query.get("creator")
            chosen = [
                issue
                for issue in reversed(repo.issues)  # GitHub: newest first
                if (state == "all" or issue["state"] == state)
                and wanted <= {label["name"] for label in issue["labels"]}
                and (creator is None or issue["user"]["login"] == creator)
            ]
            return JSONResponse(chosen)
        # Issue and pull request numbers share one sequence on GitHub.
        number = len(repo.issues) + len(repo.pulls) + 1
        labels = [shapes.label(self._api(), repo.full_name, n) for n in body.get("labels", [])]
        issue = shapes.issue(
            self._api(),
            repo.full_name,
            number,
            title=body["title"],
            body=body.get("body") or "",
            labels=labels,
            author=self._bot(),
        )
        repo.issues.append(issue)
        return JSONResponse(issue, status_code=201)

    async def _issue(self, request: Request) -> Response:
        found = await self._repo_call(request)
        if isinstance(found, Response):
            return found
        repo, body = found
        number = request.path_params["number"]
        issue = next((i for i in repo.issues if i["number"] == number), None)
        if issue is None:
            return JSONResponse({"message": "Not Found"}, 404)
        for key in ("title", "body", "state"):
            if key in body:
                issue[key] = body[key]
        issue["updated_at"] = shapes.now()
        return JSONResponse(issue)

    # ---- git smart HTTP ---------------------------------------------------------------------

    async def _git(self, request: Request) -> Response:
        repo = self.repositories.get(
            f"{request.path_params['owner']}/{request.path_params['repo']}"
        )
        header = request.headers.get("authorization", "")
        user = password = ""
        if header.lower().startswith("basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        known = self.tokens.get(password)
        if repo is None or known is None or known[0] != repo.installation_id:
            return PlainTextResponse(
                "auth required",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="GitHub"'},
            )
        self.git_requests.append((user, request.url.path))
        failure = self._injected_failure(request)
        if failure is not None:
            return PlainTextResponse("denied", status_code=failure.status_code)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(repo.bare.parent),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{repo.bare.name}/{request.path_params['rest']}",
            "REQUEST_METHOD": request.method,
            "QUERY_STRING": request.url.query,
            "CONTENT_TYPE": request.headers.get("content-type", ""),
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if "content-encoding" in request.headers:
            env["HTTP_CONTENT_ENCODING"] = request.headers["content-encoding"]
        if "git-protocol" in request.headers:
            env["GIT_PROTOCOL"] = request.headers["git-protocol"]
        body = await request.body()
        process = await asyncio.create_subprocess_exec(
            GIT_HTTP_BACKEND,
            env=env,
            stdin=subprocess.PIPE if body else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, _ = await process.communicate(body or None)
        head, _, content = out.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers[name] = value.strip()
        return Response(content, status_code=status, headers=headers)


# The fake's own bookkeeping on stored objects, never part of an answer.
_BOOKKEEPING = ("history", "issue_number", "comment_id", "hook_url")


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in stored.items() if key not in _BOOKKEEPING}


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Run `fake` with uvicorn on a free loopback port in a thread, for the `with` block."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fake.app, log_level="warning", lifespan="off", loop="asyncio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fake GitHub did not start")
        time.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def mounted(fake: FakeGitHub, url: str = "https://api.github.test") -> Iterator[FakeGitHub]:
    """Route httpx requests for `url` to `fake` through respx, for the `with` block: the same
    ASGI app as `serve`, with no socket. Git cannot reach it this way (git is a subprocess), so
    scenarios that clone or push need `serve`."""
    fake.url = url.rstrip("/")
    with respx.mock(base_url=fake.url, assert_all_called=False) as router:
        # A path in `url` (GitHub Enterprise's `/api/v3`) is the app's root path.
        root = httpx.URL(fake.url).path.rstrip("/")
        router.route().mock(side_effect=respx.ASGIHandler(fake.app, root_path=root))
        yield fake


def bare_repository(root: Path, name: str, files: dict[str, str], branch: str = "main") -> Path:
    """A bare repository at `root/name.git` holding one commit of `files` on `branch`."""
    work = root / f"{name}-seed"
    work.mkdir(parents=True)
    for path, text in files.items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git = ["git", "-c", "user.name=Seed", "-c", "user.email=seed@example.test"]
    subprocess.run([*git, "init", "-q", "-b", branch, str(work)], check=True)
    subprocess.run([*git, "-C", str(work), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-q", "-m", "initial"], check=True)
    bare = root / "remotes" / f"{name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    subprocess.run(
        ["git", "--git-dir", str(bare), "config", "http.receivepack", "true"], check=True
    )
    return bare
