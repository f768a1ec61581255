"""The metrics jobs beyond the rollups: spike alerts and daily digests, composed from
the pure metrics modules and the store (the daemon's scheduler runs them)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from config.secrets import secret
from config.settings import Settings
from core.clock import to_iso
from core.errors import DeliveryError
from metrics import outcomes as outcome_metrics
from metrics import spikes
from metrics.dashboard import TONES
from metrics.digest import Digest, due_day, local_hours
from metrics.period import Period
from pipeline import webhook
from store import alerts, analytics
from store.db import Store

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 10


def _hour_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _page_url(settings: Settings, page: str, **query: str) -> str:
    """A filtered list of the web app: "queue" (work waiting) or "mentions" (all)."""
    return f"{settings.inbox_url()}/{page}?{urlencode(query)}"


def _findings(store: Store, settings: Settings, brand: str, hour_start: datetime,
              ) -> list[spikes.Finding]:
    """The current hour's counts against the same hour on the previous days (those
    since the brand's first data)."""
    m = settings.metrics
    first = analytics.first_day(store, brand)
    if first is None:
        return []
    earliest = _hour_text(hour_start - timedelta(days=m.spike_baseline_days))
    scope = analytics.Scope("hour", max(earliest, first),
                            _hour_text(hour_start + timedelta(hours=1)), brand=brand)
    by_hour = {r["bucket"]: r for r in analytics.aggregate(store, scope, ("bucket",),
                                                           spikes.KINDS)}
    same_hours = [h for d in range(1, m.spike_baseline_days + 1)
                  if (h := _hour_text(hour_start - timedelta(days=d)))[:10] >= first]
    minimum = {"negative": m.spike_min_negative, "volume": m.spike_min_volume}
    findings = []
    for kind in spikes.KINDS:  # each is also the name of its rollup column
        rule = spikes.Rule(minimum[kind], m.spike_ratio, m.spike_sigma, m.spike_min_days)
        history = [by_hour.get(h, {}).get(kind, 0) for h in same_hours]
        count = by_hour.get(_hour_text(hour_start), {}).get(kind, 0)
        if finding := spikes.check(count, history, rule, kind):
            findings.append(finding)
    return findings


def check_spikes(store: Store, settings: Settings, now: datetime) -> list[int]:
    """Record an alert for each brand whose current hour spikes (outside its cool-down);
    returns the new alert ids. Sending is ``send_alerts``'s, so a failed post is retried
    without the spike being detected twice."""
    m = settings.metrics
    hour_start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hour_end = hour_start + timedelta(hours=1)
    hour = _hour_text(hour_start)
    made = []
    for brand in settings.brands:
        if not spikes.cooled_down(alerts.last_alert_at(store, brand.name), now,
                                  timedelta(minutes=m.spike_cooldown_minutes)):
            continue
        findings = _findings(store, settings, brand.name, hour_start)
        if not findings:
            continue
        examples = analytics.examples(store, brand.name, to_iso(hour_start), to_iso(hour_end),
                                      "negative", m.spike_examples)
        link = _page_url(settings, "mentions", brand=brand.name, sentiment="negative",
                         since=hour_start.strftime("%Y-%m-%dT%H:%M"),
                         until=hour_end.strftime("%Y-%m-%dT%H:%M"))
        payload = spikes.message(brand.name, hour, findings, examples, link)
        made.append(alerts.record_alert(store, brand.name, hour, [f.kind for f in findings],
                                        payload, now))
        log.warning("spike for %s in hour %s: %s", brand.name, hour,
                    ", ".join(f"{f.kind} {f.count} (line {f.threshold:g})" for f in findings))
    return made


def send_alerts(store: Store, settings: Settings, now: datetime) -> int:
    """Post recorded alerts not yet delivered; returns how many went out."""
    url = secret("MENTIONDESK_SPIKE_WEBHOOK_URL")
    if url is None:
        return 0
    sent = 0
    for alert in alerts.unsent(store, MAX_SEND_ATTEMPTS):
        try:
            webhook.post(url.get_secret_value(), alert["payload"],
                         settings.metrics.webhook_timeout_seconds)
        except DeliveryError as exc:
            alerts.mark_failed(store, alert["id"], str(exc))
            log.warning("spike alert %d not delivered, will retry: %s", alert["id"], exc)
            continue
        alerts.mark_sent(store, alert["id"], now)
        sent += 1
    return sent


def _by_local_hour(store: Store, brand: str, days: list[date], zone: ZoneInfo,
                   ) -> list[list[tuple[str, dict[str, Any]]]]:
    """For each local day, its hours' (label, tone counts), read in one query."""
    spans = [local_hours(d, zone) for d in days]
    end = datetime.strptime(spans[-1][-1][0], "%Y-%m-%dT%H").replace(tzinfo=UTC)
    scope = analytics.Scope("hour", spans[0][0][0], _hour_text(end + timedelta(hours=1)),
                            brand=brand)
    rows = {r["bucket"]: r for r in analytics.aggregate(store, scope, ("bucket",), TONES)}
    return [[(label, {t: rows.get(h, {}).get(t, 0) for t in TONES}) for h, label in span]
            for span in spans]


def build_digest(store: Store, settings: Settings, brand: str, day: date) -> Digest:
    zone = ZoneInfo(settings.metrics.timezone)
    week = [day - timedelta(days=back) for back in range(6, -1, -1)]
    per_day = _by_local_hour(store, brand, week, zone)
    hours = local_hours(day, zone)
    end = _hour_text(datetime.strptime(hours[-1][0], "%Y-%m-%dT%H").replace(tzinfo=UTC)
                     + timedelta(hours=1))
    scope = analytics.Scope("hour", hours[0][0], end, brand=brand)
    previous = analytics.Scope("hour", local_hours(week[-2], zone)[0][0], hours[0][0],
                               brand=brand)
    base = settings.inbox_url()
    return Digest(
        brand=brand, day=day, zone=settings.metrics.timezone,
        current=analytics.aggregate(store, scope)[0],
        previous=analytics.aggregate(store, previous)[0],
        hourly=[{"label": label, **tones} for label, tones in per_day[-1]],
        week=[{"label": f"{d:%a %d}", **{t: sum(h[t] for _, h in hours_of) for t in TONES}}
              for d, hours_of in zip(week, per_day, strict=True)],
        urgent=analytics.open_items(store, brand, 5),
        praise=analytics.examples(store, brand, f"{hours[0][0]}:00:00+00:00",
                                  f"{end}:00:00+00:00", "positive", 3),
        dashboard_url=f"{base}/dashboard?" + urlencode(
            {"since": week[0].isoformat(), "until": day.isoformat(), "brand": brand}),
        inbox_url=_page_url(settings, "queue", brand=brand),
        outcomes=outcome_metrics.lines(outcome_metrics.outcome_kpis(
            store, Period(week[0], day), {"brand": brand})))


def digest_day(settings: Settings, now: datetime) -> date:
    """The latest local day whose digest is due by ``now`` (``metrics.digest_time`` in
    ``metrics.timezone``): the day the daemon writes, and `main.py digest` previews."""
    return due_day(now, ZoneInfo(settings.metrics.timezone), settings.metrics.digest_time)


def has_digest(store: Store, settings: Settings, brand: str, day: date) -> bool:
    """Whether ``brand`` gets a digest for local ``day``: none for a day that ended
    before the brand's first data (a fresh desk posted an all-zero one for the day
    before it listened)."""
    first = analytics.first_hour(store, brand)
    return first is not None and first <= local_hours(
        day, ZoneInfo(settings.metrics.timezone))[-1][0]


def write_digests(store: Store, settings: Settings, now: datetime) -> list[str]:
    """Write (and post) each brand's digest for the latest due local day, once."""
    m = settings.metrics
    if not m.digest_enabled:
        return []
    day = digest_day(settings, now)
    url = secret("MENTIONDESK_DIGEST_WEBHOOK_URL")
    written = []
    for brand in settings.brands:
        if alerts.digest_done(store, brand.name, day.isoformat()):
            continue
        if not has_digest(store, settings, brand.name, day):
            continue
        digest = build_digest(store, settings, brand.name, day)
        folder = (m.digest_dir or settings.app.data_dir / "digests") / brand.name
        folder.mkdir(parents=True, exist_ok=True)
        html = folder / f"{day.isoformat()}.html"
        html.write_text(digest.html(), encoding="utf-8")
        html.with_suffix(".txt").write_text(digest.text(), encoding="utf-8")
        error = ""
        if url is not None:
            try:
                webhook.post(url.get_secret_value(), {"text": digest.text()},
                             m.webhook_timeout_seconds)
            except DeliveryError as exc:
                error = str(exc)
                log.warning("digest for %s %s written but not posted: %s", brand.name, day,
                            exc)
        alerts.record_digest(store, brand.name, day.isoformat(), str(html), now,
                             posted=url is not None and not error, error=error)
        log.info("digest for %s %s written to %s", brand.name, day, html)
        written.append(str(html))
    return written
