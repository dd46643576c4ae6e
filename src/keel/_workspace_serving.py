"""The serving part of the Workspace façade: the models a server answers for (loaded from
the registry or package paths), the callbacks serving uses instead of opening stores
itself (load, resolve for the registry poll, rollback), API tokens, and where the
prediction log goes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.config import KeelConfig
from keel.errors import ConfigError, RegistryError
from keel.store import SQLStore

if TYPE_CHECKING:
    from keel.models import AliasEvent, ModelPackage, Registry
    from keel.rollout import Decision, DeploymentState
    from keel.rollout._serve import DeploymentServing
    from keel.serving import ServeSpec
    from keel.serving._host import ModelHost
    from keel.serving._tokens import TokenChecker, TokenRow


class ServingMethods:
    """Mixed into Workspace, which provides these attributes."""

    root: Path
    config: KeelConfig
    store: SQLStore

    if TYPE_CHECKING:  # provided by ModelsMethods

        @property
        def registry(self) -> Registry: ...

        @property
        def package_cache(self) -> Path: ...

    if TYPE_CHECKING:  # provided by RolloutMethods

        def deployment(self, name: str) -> DeploymentState: ...

        def advance_deployment(self, name: str, *, now: float | None = None) -> Decision: ...

        def add_deployment_counts(
            self,
            name: str,
            epoch: int,
            counts: Mapping[tuple[int, str], float],
            *,
            at: float | None = None,
        ) -> None: ...

    # -- the server ----------------------------------------------------------------------

    def serve(
        self,
        refs: Sequence[str] | None = None,
        *,
        overrides: dict[str, Any] | None = None,
        log_level: str = "info",
        access_log: bool = True,
        ready: Callable[[str, list[str], ServeSpec], None] | None = None,
        deployments: Sequence[str] | None = None,
    ) -> int:
        """Serve ``refs`` and ``deployments`` (keel.yaml's ``serve.models`` and
        ``serve.deployments`` when neither is given) until SIGINT or SIGTERM, then finish
        in-flight requests; returns the exit code.

        ``overrides`` replace keel.yaml's ``serve:`` settings (host, port, workers, auth,
        poll_s); ``ready`` is called with the URL, the names served and the settings once
        the server listens.
        """
        from keel.serving._server import ServerOptions
        from keel.serving._server import serve as run_server
        from keel.serving._server_gc import hold_collection
        from keel.serving._server_threads import configure_threads

        hold_collection()  # no GC pauses while the models load (keel.serving._server_gc)
        spec = self.serve_spec(overrides or {})
        # Before any model (and so LightGBM's OpenMP runtime) loads: see _server_threads.
        configure_threads(spec.workers)
        # Names given here replace keel.yaml's lists: `keel serve -d api` serves api only.
        given = bool(refs) or bool(deployments)
        named = list(deployments or ()) if given else list(spec.deployments)
        chosen = list(refs or ()) if given else list(spec.models)
        host = self.serving_host(chosen, allow_none=bool(named))
        rollouts = self.serving_deployments(named, spec, host.names()) if named else None
        app_options: dict[str, Any] = {"rollback": self.serving_rollback(chosen)}
        if rollouts is not None:
            app_options["deployments"] = rollouts.table
        options = ServerOptions(
            log_level=log_level,
            access_log=access_log,
            app_options=app_options,
            after_fork=self.serving_after_fork,
            on_worker=None if rollouts is None else rollouts.start,
        )
        return run_server(
            host,
            spec,
            auth=self._serving_auth(spec),
            metrics_factory=_metrics_factory,
            log_factory=self._prediction_log_factory(spec),
            ready=None
            if ready is None
            else (lambda url: ready(url, [*host.names(), *named], spec)),
            resolve=self.serving_version,
            options=options,
        )

    def serve_spec(self, overrides: dict[str, Any]) -> ServeSpec:
        """keel.yaml's ``serve:`` with ``overrides`` (None values ignored), validated: an
        impossible value is a ConfigError naming the setting."""
        from pydantic import ValidationError

        from keel.serving import ServeSpec

        given = {key: value for key, value in overrides.items() if value is not None}
        try:
            return ServeSpec.model_validate({**self.config.serve.model_dump(), **given})
        except ValidationError as exc:
            problem = exc.errors()[0]
            key = ".".join(str(part) for part in problem["loc"])
            raise ConfigError(
                f"The serve option {key!r} is invalid: {problem['msg']}. Got "
                f"{problem.get('input')!r} instead.",
                field=f"serve.{key}",
            ) from None

    def _serving_auth(self, spec: ServeSpec) -> Any:
        if spec.auth != "required":
            return None
        from keel.serving._auth import Auth

        return Auth(self.token_checker())

    def _prediction_log_factory(self, spec: ServeSpec) -> Callable[[], Any] | None:
        """Each server process (each worker) opens its own prediction log."""
        if not spec.prediction_log.enabled:
            return None
        folder, settings = self.prediction_log_folder, spec.prediction_log

        def make() -> Any:
            from keel.serving._predlog import PredictionLog

            return PredictionLog(folder, settings)

        return make

    # -- models ------------------------------------------------------------------------

    def serving_deployments(
        self, names: Sequence[str], spec: ServeSpec | None = None, models: Sequence[str] = ()
    ) -> DeploymentServing:
        """The deployments ``names`` ready to serve: their states read from the store and
        every version they name loaded and warmed, with this workspace's callbacks for
        state polls, counter flushes and controller ticks (keel.rollout._serve).

        Raises:
            ConfigError: a deployment has the name of a served model.
            RolloutError, RegistryError: a deployment or one of its versions does not
                exist; raised before any socket is opened.
        """
        from keel.rollout._serve import DeploymentServing

        clash = sorted(set(names) & set(models))
        if clash:
            raise ConfigError(
                f"The 'deployments' setting of serve must not name a served model. Got "
                f"{clash[0]!r}, which is both, instead: serve the model through its "
                "deployment only.",
                field="serve.deployments",
            )
        spec = spec or self.serve_spec({})
        return DeploymentServing(
            names,
            state_of=self.deployment,
            load=self.serving_load,
            add_counts=self.add_deployment_counts,
            tick=self.advance_deployment,
            spec=spec.rollout,
        )

    def serving_host(
        self, refs: Sequence[str] | None = None, *, allow_none: bool = False
    ) -> ModelHost:
        """Load and warm the models to serve: ``refs`` (``name@alias``, ``name/3``, ``name``
        or a package path), or keel.yaml's ``serve.models`` when none are given.

        Raises:
            ConfigError: no model was named here or in keel.yaml.
            RegistryError, PackageError: a reference names nothing, or a package is bad;
                raised before any socket is opened.
        """
        from keel.serving._host import ModelHost

        chosen = list(refs or ()) if refs or allow_none else list(self.config.serve.models)
        if not chosen and not allow_none:
            raise ConfigError(
                "No model to serve: name one (keel serve churn@champion) or list them under "
                "serve.models in keel.yaml.",
                field="serve.models",
            )
        return ModelHost(chosen, self.serving_load)

    def serving_load(self, ref: str) -> tuple[ModelPackage, int | None]:
        """The package ``ref`` names and its registry version (None for a path). The
        version is resolved first and fetched by number, so an alias moving in between
        cannot pair one version's number with another's package."""
        from keel.models import load_package

        path = Path(ref)
        if path.exists():
            return load_package(path), None
        version = self.registry.resolve(ref)
        exact = f"{version.name}/{version.version}"
        return load_package(self.registry.fetch(exact, self.package_cache)), version.version

    def serving_version(self, ref: str) -> int | None:
        """The version ``ref`` names now (None for a package path): the registry poll."""
        if Path(ref).exists():
            return None
        return self.registry.resolve(ref).version

    def serving_rollback(self, refs: Sequence[str]) -> Callable[[str], AliasEvent]:
        """The POST /admin/rollback callback for a server of ``refs``: a model name -> its
        alias moved back one version (the alias it is served through). The server then
        reloads the model; its registry poll would also find the move."""
        from keel.models import parse_ref

        aliases = {}
        for ref in refs:
            if not Path(ref).exists() and (parsed := parse_ref(ref)).alias is not None:
                aliases[parsed.name] = parsed.alias

        def rollback(name: str) -> AliasEvent:
            alias = aliases.get(name)
            if alias is None:
                raise RegistryError(
                    f"The model {name!r} is not served through an alias (served: "
                    f"{', '.join(refs)}), so there is nothing to roll back: serve it as "
                    f"{name}@champion, or deploy the earlier version."
                )
            return self.registry.rollback(name, alias, why="POST /admin/rollback")

        return rollback

    def serving_after_fork(self) -> None:
        """Forget the database connections inherited from the parent process, in a forked
        worker: a pooled connection must not be used by two processes (SQLAlchemy's
        ``dispose(close=False)`` leaves the parent's connections open for the parent)."""
        engines = self.store.__dict__.get("_engines", ())
        for engine in engines:
            engine.dispose(close=False)

    @property
    def prediction_log_folder(self) -> Path:
        """Where servers write the prediction log and feedback (Parquet segments)."""
        return self.root / ".keel" / "predictions"

    # -- tokens ------------------------------------------------------------------------

    def create_token(
        self, role: str, *, name: str | None = None, expires: str | float | None = None
    ) -> tuple[TokenRow, str]:
        """A new API token with ``role`` (reader, deployer or admin): its record and its
        secret, which is not kept anywhere (only its SHA-256 digest is)."""
        from keel.serving._tokens import create

        return create(self.store, role, name=name, expires=expires)

    def list_tokens(self, *, include_revoked: bool = True) -> list[TokenRow]:
        from keel.serving._tokens import list_tokens

        return list_tokens(self.store, include_revoked=include_revoked)

    def revoke_token(self, token_id: str) -> TokenRow:
        """Revoke a token by its public id; servers see it within their lookup cache TTL."""
        from keel.serving._tokens import revoke

        return revoke(self.store, token_id)

    def token_checker(self, **options: Any) -> TokenChecker:
        """A presented token -> its role (or None), with lookups cached: for servers."""
        from keel.serving._tokens import TokenChecker

        return TokenChecker(self.store, **options)


def _metrics_factory() -> Any:
    from keel.serving._metrics import Metrics

    return Metrics()
