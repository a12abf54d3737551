"""The demo county's rectification ledgers (整顿台账) and villagers' messages from the public pages.

Every weak-and-lax village gets a ledger written through the real services, dated as it would
have happened: the county's investigation finds its problems about five months ago, the plan's
measures follow a few days later, the first secretary reports progress, the town confirms or
sends measures back, and the county accepts the villages the plan says were accepted. The rest
are caught at every stage — measures not started, some past their deadline, some waiting for
the town — so the screens, the bulletin and the ``rectification_overdue`` rule have something to
show. The villagers of a few posted villages have left messages on their public pages, some
already answered. First secretaries publish their own phone as their work phone.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from api.assignments.models import Assignment
from api.auth.models import User
from api.auth.principal import Principal
from api.clock import start_of
from api.demo import names, texts
from api.public.models import PublicMonth
from api.public.schemas import MessageIn
from api.public.service import Limits, first_of_month, post_message, sender_key
from api.rectification.progress import record_progress
from api.rectification.review import review_measure, review_village
from api.rectification.schemas import MeasureIn, MeasureReview, ProblemIn, ProgressIn, VillageReview
from api.rectification.service import add_measure, add_problem
from api.regions.models import Region
from api.requests.models import VillagerRequest
from api.requests.schemas import RequestUpdate
from api.requests.service import update_request
from api.settings import Settings

# The investigation's findings, by the reason the village was classified for.
FINDINGS = {
    "班子不团结": ("disunity", "村“两委”班子成员之间长期有矛盾，村务会议多次议而不决，群众意见较大。"),
    "书记能力弱": ("weak_leader", "村党组织书记年龄偏大、带富能力弱，群众反映办事推诿、遇事不敢担当。"),
    "集体经济薄弱": ("weak_economy", "村集体经济年收入不足3万元，村小学旧址和集体林地长期闲置。"),
    "信访矛盾突出": ("petitions", "近两年因土地流转和低保评定引发上访6起，矛盾纠纷排查化解不到位。"),
    "党员队伍老化": ("other", "全村党员中60岁以上的占七成，近五年只发展党员1名，后继乏人。"),
    "组织生活不规范": ("lax_organisation", "“三会一课”记录不全，主题党日活动流于形式，党费收缴不规范。"),
}
# Each measure's target, in the order of ``names.PLAN_MEASURES``; {income} is in 万元.
TARGETS = {
    "班子不团结": ("班子谈心会每月一次，年内班子成员无公开矛盾", "重大事项100%经“四议两公开”程序"),
    "书记能力弱": ("村书记年内牵头办成3件以上群众急难愁盼的事", "储备后备干部2名以上"),
    "集体经济薄弱": ("年底村集体经济收入突破{income}万元", "合作社入社农户不少于50户，收入达到{income}万元"),
    "信访矛盾突出": ("新增越级上访为零", "历史遗留问题全部答复群众"),
    "党员队伍老化": ("年内发展35岁以下党员1至2名", "年老体弱党员送学上门全覆盖"),
    "组织生活不规范": ("“三会一课”记录完整，每月报镇党委审核", "党务公开栏每季度更新"),
}
PROGRESS = (
    "已召开专题会议研究，明确了分工和时间表。",
    "本周入户征求意见，群众普遍支持，已整理成书面材料。",
    "已与县里相关部门对接，资料已报送，等待批复。",
    "第一批工作已经完成，正在准备第二批。",
    "镇党委班子成员到村督导，提出了改进意见，已按意见调整。",
)
DONE = "各项工作已按计划完成，相关资料已归档，请镇党委审核。"
RETURNED = "佐证材料不全，请补充会议记录和照片后再报。"
FOUND_BY = "县委组织部软弱涣散村党组织排查"
# The public form's categories for the kinds of need the demo's villagers raise.
MESSAGE_CATEGORY = {
    "医疗": "医疗卫生",
    "道路": "道路水电",
    "饮水": "道路水电",
    "就业": "就业增收",
    "低保": "低保救助",
    "住房": "住房",
    "教育": "教育",
    "产业": "就业增收",
}
MESSAGE_VILLAGES = 6
RESOLVED_SHARE = 0.5


@dataclass(frozen=True)
class LedgerCounts:
    villages: int
    measures: int
    messages: int


def write_ledgers(session: Session, rng: random.Random, *, settings: Settings, now: dt.datetime) -> LedgerCounts:
    """Write every weak-and-lax village's ledger and the public pages' messages, in the open transaction."""
    tz = settings.tz
    today = now.astimezone(tz).date()
    county = session.exec(select(User).where(User.role == "county")).one()
    towns = {u.scope_code: u for u in session.exec(select(User).where(User.role == "town"))}
    leads = _first_secretaries(session, today)
    villages = list(session.exec(select(Region).where(col(Region.weak_lax)).order_by(col(Region.code))))
    accepted = {v.code for v in villages if v.rectification_status == "accepted"}
    measures = 0
    for village in villages:
        village.rectification_status = "none"  # the ledger's history sets it
        session.add(village)
        lead = leads.get(village.code)
        reporter = lead or towns[village.parent_code]
        plan = _Plan(session, rng, settings=settings, today=today)
        found_on = today - dt.timedelta(days=rng.randint(140, 170))
        income = rng.choice((5, 8, 10, 15))
        for reason in village.weak_lax_reasons:
            category, finding = FINDINGS[reason]
            problem = add_problem(
                session,
                code=village.code,
                data=ProblemIn(category=category, description=finding, found_by=FOUND_BY, found_on=found_on),
                by=Principal.for_user(county),
                today=found_on,
                now=plan.at(found_on + dt.timedelta(days=1)),
            )
            assert problem.id is not None
            for number, (text, target) in enumerate(zip(names.PLAN_MEASURES[reason], TARGETS[reason], strict=True)):
                added = found_on + dt.timedelta(days=rng.randint(3, 10))
                deadline = added + dt.timedelta(days=rng.randint(60, 200))
                measure = add_measure(
                    session,
                    problem_id=problem.id,
                    data=MeasureIn(
                        text=text.format(income=income),
                        target=target.format(income=income),
                        deadline=deadline,
                        responsible="first_secretary" if number == 0 else rng.choice(("town_team", "dispatch_unit")),
                    ),
                    by=Principal.for_user(towns[village.parent_code]),
                    today=added,
                    now=plan.at(added),
                )
                assert measure.id is not None
                stage = "confirmed" if village.code in accepted else plan.stage()
                plan.carry(measure.id, added, deadline, stage, reporter=reporter, town=towns[village.parent_code])
                measures += 1
        if village.code in accepted:
            verdict = VillageReview(decision="accept", reason="经县级考核，各项整改措施落实到位，群众满意。")
            review_village(
                session, code=village.code, data=verdict, by=Principal.for_user(county), now=plan.at(plan.last_day)
            )
    messages = _messages(session, rng, leads, towns, settings=settings, now=now)
    session.flush()
    _views(session, rng, sorted(leads), today=today)
    for lead in leads.values():
        lead.public_phone = lead.phone
        session.add(lead)
    session.flush()
    return LedgerCounts(villages=len(villages), measures=measures, messages=messages)


class _Plan:
    """One village's timeline: instants on given local days, and the measures carried along it."""

    def __init__(self, session: Session, rng: random.Random, *, settings: Settings, today: dt.date) -> None:
        self.session, self.rng, self.settings, self.today = session, rng, settings, today
        self.tz: ZoneInfo = settings.tz
        self.last_day = today - dt.timedelta(days=30)

    def at(self, day: dt.date) -> dt.datetime:
        """An office-hours instant of ``day`` (never after today)."""
        day = min(day, self.today - dt.timedelta(days=1))
        return start_of(day, self.tz) + dt.timedelta(hours=self.rng.randint(9, 17), minutes=self.rng.randint(0, 59))

    def stage(self) -> str:
        """Where a measure of a village still rectifying stands now."""
        return self.rng.choices(("open", "in_progress", "returned", "done", "confirmed"), (3, 4, 1, 2, 3))[0]

    def carry(
        self, measure_id: int, added: dt.date, deadline: dt.date, stage: str, *, reporter: User, town: User
    ) -> None:
        """Report progress on the measure, and judge it, up to ``stage``."""
        if stage == "open":
            return
        span = max(1, (min(deadline, self.last_day) - added).days)
        days = sorted(added + dt.timedelta(days=self.rng.randint(1, span)) for _ in range(self.rng.randint(1, 3)))
        for day in days:
            self._report(measure_id, day, self.rng.choice(PROGRESS), done=False, reporter=reporter)
        if stage == "in_progress":
            return
        done_on = days[-1] + dt.timedelta(days=self.rng.randint(2, 10))
        self._report(measure_id, done_on, DONE, done=True, reporter=reporter)
        if stage == "done":
            return
        judged = done_on + dt.timedelta(days=self.rng.randint(2, 7))
        decision = MeasureReview(decision="return", reason=RETURNED) if stage == "returned" else None
        review_measure(
            self.session,
            measure_id=measure_id,
            data=decision or MeasureReview(decision="confirm", reason="材料齐全，同意销号。"),
            by=Principal.for_user(town),
            now=self.at(judged),
        )
        self.last_day = max(self.last_day, judged + dt.timedelta(days=1))

    def _report(self, measure_id: int, day: dt.date, text: str, *, done: bool, reporter: User) -> None:
        at = self.at(day)
        item = ProgressIn(id=uuid.uuid4(), measure_id=measure_id, at=at, text=text, photo_ids=[], done=done)
        [outcome] = record_progress(
            session=self.session, by=Principal.for_user(reporter), items=[item], settings=self.settings, now=at
        )
        if outcome.status != "created":
            raise RuntimeError(f"a demo progress report was refused: {outcome.error}")


def _first_secretaries(session: Session, today: dt.date) -> dict[str, User]:
    """Each posted village's first secretary."""
    stmt = (
        select(Assignment.village_code, User)
        .join(User, col(User.id) == col(Assignment.user_id))
        .where(Assignment.position == "first_secretary", col(Assignment.start_date) <= today)
    )
    return {code: user for code, user in session.exec(stmt)}


def _messages(
    session: Session,
    rng: random.Random,
    leads: dict[str, User],
    towns: dict[str | None, User],
    *,
    settings: Settings,
    now: dt.datetime,
) -> int:
    """A few villagers' messages on a few posted villages' public pages, half answered.

    They are sent on the days before the load, this month's where the month has any, and never
    today: a time later today might not have come yet, and one clamped to the moment of the
    load would make the same seed give different records.
    """
    today = now.astimezone(settings.tz).date()
    days_back = max(1, min(20, today.day - 1))
    limits = Limits(per_address=100, per_village=100, window_s=settings.public_message_window_s)
    count = 0
    for code in rng.sample(sorted(leads), MESSAGE_VILLAGES):
        village = session.get(Region, code)
        assert village is not None
        for _ in range(rng.randint(1, 4)):
            category, text = texts.villager_request(rng)
            day = today - dt.timedelta(days=rng.randint(1, days_back))
            sent = start_of(day, settings.tz) + dt.timedelta(hours=rng.randint(7, 21))
            message = MessageIn(category=MESSAGE_CATEGORY[category], text=text, name=None, phone=None)
            receipt = post_message(
                session, code, message, sender=sender_key(str(count), "demo"), limits=limits, today=day, now=sent
            )
            count += 1
            if rng.random() < RESOLVED_SHARE:
                row_id = _request_id(session, receipt)
                update_request(
                    session=session,
                    request_id=row_id,
                    data=RequestUpdate(status="resolved", resolution=texts.resolution(category)),
                    by=Principal.for_user(towns[village.parent_code]),
                    now=min(now, sent + dt.timedelta(days=1)),
                )
    return count


def _request_id(session: Session, receipt: str) -> str:
    return session.exec(select(VillagerRequest.id).where(VillagerRequest.receipt == receipt)).one()


def _views(session: Session, rng: random.Random, codes: list[str], *, today: dt.date) -> None:
    """This month's views of the posted villages' public pages, as villagers scanning the posters make them."""
    month = first_of_month(today)
    for code in codes:
        row = session.get(PublicMonth, (code, month)) or PublicMonth(village_code=code, month=month)
        row.views += rng.randint(5, 40) * today.day // 10 + row.messages
        session.add(row)
