"""The public resource trading platform: the app factory is the composition root."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import flask_babel
from flask import Flask, g, has_request_context, request, session

from trading.config import Config, ProductionConfig, check_config, resolve_paths
from trading.extensions import babel, csrf, db, login_manager, migrate
from trading.params import register_converters
from trading.platform_keys.services import check_loadable

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app: config, extensions, rule sets, blueprints, listeners, CLI commands."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    base = ProductionConfig if os.environ.get("PLATFORM_ENV") == "production" else Config
    if isinstance(config, type):
        base = config
    app.config.from_object(base)
    app.config.update(base.from_env())
    if isinstance(config, dict):
        app.config.update(config)
    check_config(app.config)
    resolve_paths(app.config, app.instance_path)
    check_loadable(app)  # production: a missing or broken signing key stops the host here
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from trading.sqlite_writes import GatedConnection  # writers wait in line, not in busy sleeps

        # A connection to the file is cheap, and one is kept per thread that reads at once: with the default
        # 5 (+ 10 made and closed again) a burst of uploads queued for connections, and made and closed them
        # by the dozen (bench/README.md: 0.33 to 0.37 of the bare upload, 0.39 to 0.43 with 64). An in-memory
        # database's pool, or one the configuration names (`poolclass`), takes no pool size.
        chosen = "poolclass" in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        pool = {} if _in_memory(app) or chosen else {"pool_size": 64, "max_overflow": 16}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30, "factory": GatedConnection}, **pool,
                                                   **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _register_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories=str(ROOT / "trading" / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    _register_rule_sets()
    _register_listeners()
    register_converters(app)  # before any rule is added: every <int:...> is bounded (trading/params.py)
    from trading.mail.services import install as install_mail

    install_mail()  # queued mail leaves right after the commit that queued it
    _register_blueprints(app)
    _register_cli(app)
    _register_sqlite_pragmas(app)
    _register_scheduler(app)

    @app.before_request
    def _fresh_request_state():
        # A request never inherits the language or user of an earlier one sharing its app context.
        flask_babel.refresh()
        g.pop("_login_user", None)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        return response

    @app.context_processor
    def inject():
        from trading.views_common import template_globals

        return template_globals()

    return app


def _register_models() -> None:
    # Importing the model modules registers their tables on the shared metadata.
    import trading.accounts.models  # noqa: F401
    import trading.centres.models  # noqa: F401
    import trading.notices.models  # noqa: F401
    import trading.notices.services  # noqa: F401  (registers the publish hook and bidder source)
    import trading.numbering.models  # noqa: F401
    import trading.mail.models  # noqa: F401
    import trading.rules.days  # noqa: F401
    import trading.platform_keys.models  # noqa: F401
    import trading.signing.models  # noqa: F401
    import trading.signing.permissions  # noqa: F401
    import trading.trades.models  # noqa: F401
    import trading.trades.permissions  # noqa: F401
    import trading.trades.retender  # noqa: F401  (registers trade.retender)
    import bidding.keyholders.models  # noqa: F401
    import bidding.keyholders.permissions  # noqa: F401
    import bidding.submission.models  # noqa: F401
    import bidding.submission.permissions  # noqa: F401
    import bidding.ceremony.models  # noqa: F401
    import bidding.deposits.models  # noqa: F401
    import bidding.deposits.permissions  # noqa: F401
    import bidding.auctions.models  # noqa: F401
    import bidding.auctions.permissions  # noqa: F401
    import bidding.auctions.reserve.models  # noqa: F401
    import bidding.auctions.reserve.permissions  # noqa: F401
    import bidding.auctions.live.models  # noqa: F401
    import bidding.auctions.live.permissions  # noqa: F401
    import bidding.auctions.deal.models  # noqa: F401
    import bidding.auctions.deal.permissions  # noqa: F401
    import trading.draws.models  # noqa: F401
    import bidding.experts.models  # noqa: F401
    import bidding.experts.permissions  # noqa: F401
    import bidding.evaluation.models  # noqa: F401
    import bidding.evaluation.permissions  # noqa: F401
    import bidding.custody.models  # noqa: F401
    import bidding.custody.permissions  # noqa: F401
    import bidding.scoring.models  # noqa: F401
    import bidding.scoring.permissions  # noqa: F401
    import bidding.collusion.models  # noqa: F401
    import bidding.collusion.permissions  # noqa: F401
    import bidding.award.models  # noqa: F401
    import bidding.award.permissions  # noqa: F401
    import bidding.auctions.property.models  # noqa: F401
    import bidding.auctions.property.permissions  # noqa: F401
    import procurement.plans.models  # noqa: F401
    import procurement.plans.permissions  # noqa: F401
    import procurement.direct.models  # noqa: F401
    import procurement.direct.permissions  # noqa: F401
    import procurement.results.models  # noqa: F401
    import procurement.results.permissions  # noqa: F401
    import procurement.methods.models  # noqa: F401
    import procurement.methods.permissions  # noqa: F401
    import procurement.challenges.models  # noqa: F401
    import procurement.challenges.permissions  # noqa: F401
    import procurement.negotiation.models  # noqa: F401
    import procurement.negotiation.permissions  # noqa: F401
    import monitor.audit.models  # noqa: F401
    import monitor.cards.models  # noqa: F401
    import monitor.supervisors.models  # noqa: F401


def _register_rule_sets() -> None:
    from procurement.rulesets import RULE_SETS as PROCUREMENT
    from trading.rules.model import registry
    from trading.rules.sets import RULE_SETS

    registry.register(*RULE_SETS, *PROCUREMENT)


_LISTENERS_CONNECTED = False


def _register_listeners() -> None:
    """Packages react to trading's signals; connected once per process (signals are module-level)."""
    global _LISTENERS_CONNECTED
    if _LISTENERS_CONNECTED:
        return
    from bidding import conflicts
    from bidding.ceremony.services import on_trade_moved as ceremony_on_trade_moved
    from bidding.ceremony.state import reserved_to_ceremony
    from bidding.keyholders.services import install_guards, on_trade_moved, publish_fingerprint
    from trading.signals import trade_moved
    from trading.trades.lifecycle import after_move
    from trading.trades.reserved import reserve

    install_guards()  # a method that takes sealed bids is approved only with its keyholders enrolled
    trade_moved.connect(on_trade_moved)
    trade_moved.connect(ceremony_on_trade_moved)
    from bidding.auctions.reserve.opening import on_trade_moved as reserve_on_trade_moved

    trade_moved.connect(reserve_on_trade_moved)  # a suspended or cancelled sale keeps no released share
    from bidding.auctions.reserve.services import install as install_reserve

    install_reserve()  # no live round once the sealed reserve was opened
    after_move("publish")(publish_fingerprint)
    reserve(reserved_to_ceremony)  # a sealed trade enters and leaves the opening only by its ceremony
    conflicts.install()  # companies that bid or paid a deposit are bidders for the conflict policy
    from bidding.experts.services import install as install_expert_draws

    install_expert_draws()  # the expert draw is a purpose of trading.draws
    from bidding.collusion.services import install as install_collusion

    install_collusion()  # what each upload saw; collusion flags at the opening (Reg 39-40)
    from bidding.award.services import install as install_award

    install_award()  # publicize publishes the candidates; the award and the contract go through their pages
    from procurement.plans.services import install as install_plans

    install_plans()  # a drawn procurement draft's price edits draw the difference on its budget line
    from procurement.direct import inquiry as direct_inquiry, services as direct_services

    direct_inquiry.install()  # an inquiry supplier quotes once (GPL 40)
    direct_services.install()  # a single source's candidate comes from its signed negotiation record
    from procurement.results.services import install as install_results

    install_results()  # a declared small or micro enterprise's bid is evaluated at its deducted price (46号)
    from procurement.methods.services import install as install_methods

    install_methods()  # invitees only in an invitation tender (a bidder check, a draw); failed trades free budget
    from procurement.challenges.services import install as install_challenges

    install_challenges()  # a suspension for a challenge or complaint ends with its answer, not the generic resume
    from procurement.negotiation.quotes import install as install_negotiation

    install_negotiation()  # a negotiation or consultation ranks its final quotes, not the opened responses
    from bidding.auctions.services import install as install_auctions

    install_auctions()  # a sale's notice fixes its disclosed terms (bidding.auctions)
    from bidding.auctions.live.services import install as install_live_round

    install_live_round()  # a sale enters timed bidding only through its live round (it creates the round)
    from bidding.auctions.deal.services import install as install_deal

    install_deal()  # a sale's deal or no deal is decided against the reserve on its deal page, not by hand
    _LISTENERS_CONNECTED = True


def _register_blueprints(app: Flask) -> None:
    from trading.accounts.views import bp as auth_bp
    from trading.api import bp as api_bp
    from trading.portal.views import bp as portal_bp
    from trading.workspace.views import bp as workspace_bp

    app.register_blueprint(portal_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never cookies
    from trading.signing.api import bp as signing_api_bp
    from trading.signing.views import bp as signing_bp

    app.register_blueprint(signing_bp)
    app.register_blueprint(signing_api_bp)
    csrf.exempt(signing_api_bp)

    # bidding's sub-packages attach their pages and API routes to two shared blueprints (so the
    # endpoint names stay bidding.* and bidding_api.*); importing each module registers its routes,
    # in this order (the OpenAPI document lists them so)
    import bidding.keyholders.api  # noqa: F401
    import bidding.submission.api  # noqa: F401
    import bidding.ceremony.api  # noqa: F401
    import bidding.submission.views  # noqa: F401
    import bidding.keyholders.views  # noqa: F401
    import bidding.ceremony.views  # noqa: F401
    import bidding.experts.api  # noqa: F401
    import bidding.experts.views  # noqa: F401
    import bidding.custody.api  # noqa: F401
    import bidding.custody.views  # noqa: F401
    import bidding.evaluation.api  # noqa: F401
    import bidding.evaluation.views  # noqa: F401
    import bidding.scoring.api  # noqa: F401
    import bidding.scoring.views  # noqa: F401
    import bidding.collusion.api  # noqa: F401
    import bidding.collusion.views  # noqa: F401
    import bidding.award.api  # noqa: F401
    import bidding.award.views  # noqa: F401
    import bidding.auctions.reserve.api  # noqa: F401
    import bidding.auctions.reserve.views  # noqa: F401
    import bidding.auctions.api  # noqa: F401
    import bidding.auctions.views  # noqa: F401
    import bidding.auctions.deal.api  # noqa: F401
    import bidding.auctions.deal.views  # noqa: F401
    from bidding.blueprints import api_bp as bidding_api_bp, bp as bidding_bp
    from bidding.deposits.api import api_bp as deposits_api_bp
    from bidding.deposits.views import bp as deposits_bp

    app.register_blueprint(bidding_api_bp)
    csrf.exempt(bidding_api_bp)
    app.register_blueprint(bidding_bp)
    app.register_blueprint(deposits_bp)
    app.register_blueprint(deposits_api_bp)
    csrf.exempt(deposits_api_bp)  # bearer tokens, never cookies
    import procurement.plans.api  # noqa: F401
    import procurement.plans.views  # noqa: F401
    import procurement.direct.api  # noqa: F401
    import procurement.direct.views  # noqa: F401
    import procurement.results.api  # noqa: F401
    import procurement.results.views  # noqa: F401
    import procurement.methods.api  # noqa: F401
    import procurement.methods.views  # noqa: F401
    import procurement.challenges.api  # noqa: F401
    import procurement.challenges.views  # noqa: F401
    import procurement.negotiation.api  # noqa: F401
    import procurement.negotiation.views  # noqa: F401
    from procurement.blueprints import api_bp as procurement_api_bp, bp as procurement_bp

    app.register_blueprint(procurement_api_bp)
    csrf.exempt(procurement_api_bp)  # bearer tokens, never cookies
    app.register_blueprint(procurement_bp)
    from bidding.auctions.live.api import api_bp as live_api_bp
    from bidding.auctions.live.views import bp as live_round_bp

    app.register_blueprint(live_round_bp)  # /trades/<id>/auction: the live round's page
    app.register_blueprint(live_api_bp)
    csrf.exempt(live_api_bp)  # bearer tokens, never cookies
    from bidding.panels import keyholder_panel, my_bids_panel
    from trading.accounts.landing import register_panel

    register_panel(app, my_bids_panel)  # a bidder's workspace: their bids and receipts
    register_panel(app, keyholder_panel)  # a keyholder's openings
    from bidding.evaluation.views import evaluation_panel

    register_panel(app, evaluation_panel)  # a committee member's rooms, a bidder's clarifications
    from bidding.collusion.views import collusion_panel

    register_panel(app, collusion_panel)  # opened trades' collusion signals, for supervisors and the committee
    from bidding.scoring.views import scoring_panel

    register_panel(app, scoring_panel)  # a committee member's score sheets
    from procurement.negotiation.views import negotiation_panel

    register_panel(app, negotiation_panel)  # a negotiation's panel members and suppliers, during the rounds
    from trading.accounts.landing import register_landing
    from trading.accounts.roles import Role

    register_landing(app, Role.EXPERT, "bidding.expert_assignments")  # an expert's seats on committees
    from bidding.ceremony.exits import time_out_due

    # a stalled opening's held shares expire: timed work of trades, run by the scheduler and `flask tick`
    app.extensions.setdefault("trade_ticks", []).append(time_out_due)
    from bidding.auctions.live.services import run_due as live_rounds_due

    # live rounds: auctions open at their time, confirmation windows end, quiet countdowns close
    app.extensions.setdefault("trade_ticks", []).append(live_rounds_due)
    from procurement.results.services import award_due as procurement_awards_due

    # a procurement purchaser silent past its decision period: the platform awards rank one (O87 68)
    app.extensions.setdefault("trade_ticks", []).append(procurement_awards_due)

    _register_property(app)
    _register_blob_references(app)
    _register_monitor(app)  # the supervision plane: audit log, live streams, cards, supervisors

    from trading.views_common import register_error_handlers

    register_error_handlers(app)


def _register_property(app: Flask) -> None:
    """State property transfers (O32): their page and API; importing closing registers the rule checks
    and the negotiated offer the deal reads."""
    import bidding.auctions.property.closing  # noqa: F401
    from bidding.auctions.property.api import api_bp as property_api_bp
    from bidding.auctions.property.services import stored_consents
    from bidding.auctions.property.views import bp as property_bp
    from trading.blobs import register_references

    app.register_blueprint(property_bp)
    app.register_blueprint(property_api_bp)
    csrf.exempt(property_api_bp)  # bearer tokens, never cookies
    register_references(app, stored_consents)  # the decision branch's written consents


def _register_blob_references(app: Flask) -> None:
    """Every package that keeps blobs names the ones in use, so the sweep spares them; the tick sweeps."""
    from bidding.custody.services import stored_blobs as kept_documents
    from bidding.submission.services import stored_envelopes
    from trading.blobs import register_references, sweep_tick
    from trading.notices.services import stored_documents

    register_references(app, stored_documents)
    register_references(app, stored_envelopes)
    register_references(app, kept_documents)
    from bidding.award.services import stored_contracts

    register_references(app, stored_contracts)  # signed contracts (bidding.award)
    from bidding.auctions.registration import stored_documents as qualification_documents

    register_references(app, qualification_documents)  # registrations' qualification documents (bidding.auctions)
    app.extensions.setdefault("ticks", []).append(sweep_tick)


_MONITOR_CONNECTED = False


def _register_monitor(app: Flask) -> None:
    """The supervision plane: capture, listeners and ticks (once per process), blueprints, commands."""
    global _MONITOR_CONNECTED
    from flask_babel import lazy_gettext as _l

    import monitor.audit.permissions  # noqa: F401  (registers the permissions before any request)
    import monitor.cards.permissions  # noqa: F401
    import monitor.supervisors.permissions  # noqa: F401
    from monitor import ticks
    from monitor.audit import api as audit_api, cli as audit_cli, log as audit, views as audit_views
    from monitor.cards import api as card_api, esupervision, views as card_views
    from monitor.live import streams as live, views as dashboard
    from monitor.supervisors import (api as supervisor_api, draws, registry, rounds, signers, signoffs,
                                     views as supervisor_views)
    from trading.mail import services as outbox

    live.configure(app)
    signoffs.install_guards()
    if not _MONITOR_CONNECTED:  # signals and session events are process-wide
        audit.install()
        audit.connect_listeners()
        live.connect_hooks()
        esupervision.connect()
        audit.SKIP_TABLES.add("mail_outbox")  # derived messages, like notifications (create_app installs the sender)
        draws.connect_listeners()
        from trading.draws import services as draw_rounds

        # the lower layers' draws (experts...) log through the audit log and take its checkpoints as beacons
        draw_rounds.install_ledger(record=audit.record, beacon=lambda: audit.sign_checkpoint("draw"),
                                   seal=audit.pseudonym)
        signoffs.connect_listeners()
        signers.install()  # the ceremony counts record signatures of drawn, non-recused supervisors
        from monitor.cards.services import render_notification
        from trading.notices.models import RENDERERS

        RENDERERS["card"] = render_notification  # a card's notification reads in its reader's language
        for tick in (audit.scheduled_checkpoint, esupervision.tick, outbox.deliver_due, registry.expire_terms,
                     rounds.run_due, draw_rounds.run_due):
            ticks.on_tick(tick)
        _MONITOR_CONNECTED = True
    with app.app_context():  # writes the log would not see never reach this app's database
        for engine in db.engines.values():
            audit.guard_engine(engine)
    app.extensions.setdefault("ticks", []).append(ticks.run_ticks)

    for blueprint in (audit_api.bp, audit_views.bp, live.bp, card_views.bp, card_api.bp, supervisor_views.bp,
                      supervisor_api.bp, dashboard.bp):
        app.register_blueprint(blueprint)
    for blueprint in (audit_api.bp, card_api.bp, supervisor_api.bp):
        csrf.exempt(blueprint)  # bearer tokens, never cookies
    app.add_template_global(live.sees_centre, "live_sees_centre")
    app.add_template_global(live.stream_url_after, "live_stream_url_after")  # a page's stream from its render
    app.cli.add_command(audit_cli.audit_group)
    app.cli.add_command(audit_cli.monitor_group)
    # the main navigation: the dashboard for those who may open it, the cards for whoever may hold
    # one, a social supervisor's own trades
    from trading.accounts.landing import register_landing
    from trading.accounts.roles import Role

    # after signing in, each supervisor lands on their work (the others on trading's defaults)
    register_landing(app, Role.ADMIN_SUPERVISOR, "monitor.dashboard")
    register_landing(app, Role.SOCIAL_SUPERVISOR, "supervisors.mine")
    app.extensions.setdefault("nav_links", []).extend([
        ("monitor.dashboard", _l("Supervision"), "monitor.dashboard"),
        ("cards.card_list", _l("Cards"), "cards.list"),
        ("supervisors.mine", _l("My supervision"), "supervisors.mine"),
        ("signing.keys", _l("My signing key"), "signing.register"),
        ("bidding.expert_assignments", _l("My expert assignments"), "experts.assignments"),
        ("bidding.expert_pool", _l("Expert pool"), "experts.pool.view"),
        ("procurement.plans_page", _l("Procurement plans"), "procurement.plans.nav"),
    ])


def _register_cli(app: Flask) -> None:
    from trading.cli import blobs_group, centres_command, create_user_command, demo_command, tick_command

    from trading.platform_keys.cli import signing_keys_command

    for command in (demo_command, tick_command, centres_command, create_user_command, signing_keys_command,
                    blobs_group):
        app.cli.add_command(command)


def _in_memory(app: Flask) -> bool:
    """The app's SQLite database lives in memory (no file: one connection, no WAL)."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    return (url.database or "") in ("", ":memory:") or url.query.get("mode") == "memory"


def _register_sqlite_pragmas(app: Flask) -> None:
    """WAL and foreign keys for the embedded database."""
    from sqlalchemy import event

    from trading.sqlite_writes import GatedConnection

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    # the listener holds what it needs, not the app: Flask-SQLAlchemy keeps each app's engine in a dictionary
    # weakly keyed by the app, and a listener reaching the app from the engine would keep every app alive
    wal = not _in_memory(app)
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if wal:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
            if isinstance(dbapi_conn, GatedConnection):
                dbapi_conn.sync_after_commit()  # commits wait for the disk outside the write lock


def _register_scheduler(app: Flask) -> None:
    """A daemon thread ticks timed moves and the packages' periodic work (`app.extensions["ticks"]`);
    cron can use `flask tick` and `flask monitor tick` instead."""
    seconds = float(app.config.get("SCHEDULER_SECONDS") or 0)
    if seconds <= 0:
        return
    started = threading.Event()

    def loop():
        from trading.trades.services import advance_due

        while True:
            for task in (advance_due, *app.extensions.get("trade_ticks", ()), *app.extensions.get("ticks", ())):
                with app.app_context():
                    try:
                        task()
                    except Exception:  # keep ticking; the next tick retries
                        app.logger.exception("scheduled tick failed")
                        db.session.rollback()
                    finally:
                        db.session.remove()
            threading.Event().wait(seconds)

    @app.before_request
    def _start_once():
        if not started.is_set():
            started.set()
            threading.Thread(target=loop, name="trade-ticker", daemon=True).start()


def _select_locale() -> str:
    supported = ("zh_CN", "en")
    if not has_request_context():
        return "zh_CN"  # CLI and background work speak the platform's first language
    choice = request.args.get("lang") or session.get("lang")
    if choice in supported:
        return choice
    user = getattr(g, "_login_user", None)
    if user is not None and getattr(user, "locale", None) in supported:
        return user.locale
    if request.path.startswith("/api/"):
        return "en" if request.accept_languages.best_match(["zh-CN", "zh", "en"], "zh") == "en" else "zh_CN"
    return "zh_CN"
