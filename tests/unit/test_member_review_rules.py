"""The quarterly member review's rules (services/evaluation/reviews/domain.py) and its bulletin
(bulletin.py), without a database: grades at and just past each bar, the rectification deadline,
quarters in the county's time, and the bulletin's exact words for a small known ledger."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from servicekit.errors import InvalidArgument
from services import periods
from services.evaluation.reviews import bulletin
from services.evaluation.reviews.domain import (
    Bar,
    Grading,
    Shortfall,
    Tally,
    check_quarter,
    last_day,
    review,
)

RULES = Grading()  # excellent 0.95/0.9/0.9/0, qualified 0.8/0.7/0.7/2, basically 0.6/0.5/0.5/4, 30 days


def _grade(tally: Tally, quarter: str = "2026-Q1", rules: Grading = RULES):
    return review("m-1", "林建国", "nb-1", quarter, tally, rules)


def _tally(committed=20, fulfilled=20, on_time=20, satisfied=20, basically=0, unsatisfied=0, rework=0, released=0):
    return Tally(committed=committed, fulfilled=fulfilled, on_time=on_time, open=committed - fulfilled - released,
                 released=released, satisfied=satisfied, basically_satisfied=basically, unsatisfied=unsatisfied,
                 rework_rounds=rework)


# -- grading at the edges -------------------------------------------------------------------------

def test_a_quarter_exactly_at_every_excellent_bar_is_excellent():
    at = _tally(committed=20, fulfilled=19, on_time=19, satisfied=18, unsatisfied=2)  # 0.95, 1 and 0.9
    graded = _grade(at)
    assert (graded.grade, graded.shortfalls, graded.rectify_by) == ("excellent", (), None)


def test_one_short_of_the_excellent_fulfilment_bar_is_qualified_with_no_deadline():
    graded = _grade(_tally(committed=20, fulfilled=18, on_time=18, satisfied=18))  # 0.9 fulfilled
    assert (graded.grade, graded.rectify_by) == ("qualified", None)


def test_shares_exactly_at_the_qualified_bar_meet_it_though_the_settings_are_floats():
    # 0.7 as a float is not 7/10; the rule compares the decimal the county wrote.
    below = _grade(_tally(committed=10, fulfilled=10, on_time=6, satisfied=7, unsatisfied=3))
    assert (below.grade, below.shortfalls) == ("basically_qualified", (Shortfall("on_time", 0.7),))
    exactly = _grade(_tally(committed=10, fulfilled=10, on_time=7, satisfied=7, unsatisfied=3, rework=2))
    assert exactly.grade == "qualified", "0.8 / 0.7 / 0.7 and 2 rounds of rework are all met exactly"
    # The float 0.8 is a little above 4/5: compared as written, 8 of 10 fulfilled meets it.
    assert _grade(_tally(committed=10, fulfilled=8, on_time=8, satisfied=8)).grade == "qualified"


def test_one_round_of_rework_past_a_bar_drops_a_grade():
    assert _grade(_tally(rework=0)).grade == "excellent"
    assert _grade(_tally(rework=1)).grade == "qualified"
    assert _grade(_tally(rework=2)).grade == "qualified"
    graded = _grade(_tally(rework=3))
    assert graded.grade == "basically_qualified"
    assert graded.shortfalls == (Shortfall("rework_rounds", 2),)
    assert _grade(_tally(rework=5)).grade == "unqualified"


def test_below_qualified_gets_a_rectification_deadline_the_settings_days_after_the_quarter():
    poor = _tally(committed=10, fulfilled=5, on_time=5, satisfied=5)  # 0.5 fulfilled: below every bar
    graded = _grade(poor)
    assert (graded.grade, graded.shortfalls) == ("unqualified", (Shortfall("fulfilment", 0.8),))
    assert graded.rectify_by == date(2026, 4, 30)
    assert _grade(poor, "2026-Q4").rectify_by == date(2027, 1, 30), "across the year's end"
    assert _grade(poor, rules=Grading(rectification_days=7)).rectify_by == date(2026, 4, 7)


def test_released_commitments_are_not_held_against_the_member_and_nothing_to_measure_is_no_shortfall():
    # Two taken away (reassigned or escalated): 8 of the 8 that stayed are fulfilled.
    assert _grade(_tally(committed=10, fulfilled=8, on_time=8, satisfied=8, released=2)).grade == "excellent"
    # Fulfilled but nobody has rated yet: satisfaction is not measured, so not missed.
    unrated = _grade(_tally(committed=3, fulfilled=3, on_time=3, satisfied=0))
    assert (unrated.grade, unrated.tally.satisfaction) == ("excellent", None)


def test_a_member_with_no_commitment_of_their_own_is_not_assessed():
    assert _grade(Tally(door_visits=4, panels=1)).grade == "not_assessed"
    assert _grade(Tally(committed=2, released=2)).grade == "not_assessed"


def test_the_bars_must_descend_from_excellent_to_basically_qualified():
    with pytest.raises(ValidationError, match="at least as high"):
        Grading(qualified=Bar(fulfilment=0.99, on_time=0.7, satisfaction=0.7, rework_rounds=2))
    with pytest.raises(ValidationError):
        Bar(fulfilment=1.5, on_time=0.7, satisfaction=0.7, rework_rounds=2)


def test_quarters_are_the_county_time_and_named_yyyy_qn():
    assert periods.quarter_of_moment(datetime(2026, 3, 31, 15, 59, tzinfo=UTC)) == "2026-Q1"
    assert periods.quarter_of_moment(datetime(2026, 3, 31, 16, 0, tzinfo=UTC)) == "2026-Q2", "already April 1st in UTC+8"
    assert [last_day(f"2026-Q{n}") for n in range(1, 5)] == [
        date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]
    for bad in ("2026Q1", "2026-Q5", "2026-q1", "26-Q1", "", "2026", "2026-03", "1899-Q1"):
        with pytest.raises(InvalidArgument, match=r"^quarter must be a quarter \(YYYY-Q1 to YYYY-Q4\), years"):
            check_quarter(bad)


@pytest.mark.parametrize(("number", "words"), [
    (1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (99, "九十九"), (100, "一百"), (101, "一百零一"),
    (110, "一百一十"), (999, "九百九十九"), (1001, "一千零一"), (1010, "一千零一十"), (10005, "一万零五"),
    (110000, "十一万"), (123456789, "一亿二千三百四十五万六千七百八十九")])
def test_the_bulletin_numbers_its_items_in_chinese_numerals(number, words):
    assert bulletin.numeral(number) == words


def test_a_bulletin_of_a_hundred_and_ten_members_numbers_each_item():
    one = _known_ledger()[0]
    many = [replace(one, member_id=f"m-{n:03d}", member_name=f"党员{n:03d}") for n in range(1, 111)]
    lines = bulletin.text("幸福小区", "2026-Q1", many).splitlines()
    assert [line.split("、")[0] for line in lines if line.startswith(("九十九、", "一百、", "一百零一、", "一百一十、"))] == [
        "九十九", "一百", "一百零一", "一百一十"]


# -- the bulletin ---------------------------------------------------------------------------------

def _known_ledger():
    return [
        review("m-2", "王芳", "nb-1", "2026-Q1", Tally(committed=5, fulfilled=3, on_time=1, open=2, satisfied=1,
                                                       unsatisfied=2, rework_rounds=2, door_visits=2), RULES),
        review("m-4", "陈明", "nb-1", "2026-Q1", Tally(door_visits=3), RULES),
        review("m-1", "林建国", "nb-1", "2026-Q1", Tally(committed=4, fulfilled=4, on_time=4, satisfied=3,
                                                         basically_satisfied=1, door_visits=6, panels=1), RULES),
        review("m-3", "张伟", "nb-1", "2026-Q1", Tally(committed=5, fulfilled=4, on_time=3, released=1, satisfied=2,
                                                       basically_satisfied=1, unsatisfied=1, rework_rounds=1,
                                                       panels=2), RULES),
    ]


BULLETIN = """\
幸福小区2026年第一季度党员践诺情况通报

本季度参评党员4名：优秀1名，合格1名，基本合格0名，不合格1名，无承诺1名。

一、林建国：承诺4件，践诺4件（按时4件）；群众评价满意3件、基本满意1件、不满意0件；返工0轮；入户走访6次；参加群议1次。评定：优秀。
二、张伟：承诺5件，践诺4件（按时3件），转交他人1件；群众评价满意2件、基本满意1件、不满意1件；返工1轮；入户走访0次；参加群议2次。评定：合格。
三、王芳：承诺5件，践诺3件（按时1件），未完成2件；群众评价满意1件、基本满意0件、不满意2件；返工2轮；入户走访2次；参加群议0次。评定：不合格（践诺率低于80%、按时践诺率低于70%、群众满意率低于70%），请于2026年4月30日前完成整改。
四、陈明：承诺0件，践诺0件（按时0件）；群众评价满意0件、基本满意0件、不满意0件；返工0轮；入户走访3次；参加群议0次。评定：无承诺，不评定。

限期整改：王芳（2026年4月30日前）。

幸福小区党组织
"""

BULLETIN_CSV = (
    "季度,小区,党员,承诺,践诺,按时践诺,未完成,转交他人,满意,基本满意,不满意,返工轮次,入户走访,参加群议,评定,整改期限\r\n"
    "2026-Q1,幸福小区,林建国,4,4,4,0,0,3,1,0,0,6,1,优秀,\r\n"
    "2026-Q1,幸福小区,张伟,5,4,3,0,1,2,1,1,1,0,2,合格,\r\n"
    "2026-Q1,幸福小区,王芳,5,3,1,2,0,1,0,2,2,2,0,不合格,2026-04-30\r\n"
    "2026-Q1,幸福小区,陈明,0,0,0,0,0,0,0,0,0,3,0,无承诺，不评定,\r\n"
)


def test_the_bulletin_of_a_small_known_ledger_reads_exactly_so():
    assert bulletin.text("幸福小区", "2026-Q1", _known_ledger()) == BULLETIN


def test_the_bulletin_as_csv_has_a_header_and_a_row_per_member_best_first():
    assert bulletin.table("幸福小区", "2026-Q1", _known_ledger()) == BULLETIN_CSV


def test_a_quarter_without_rectification_says_so_and_items_count_past_ten():
    reviews = [review(f"m-{n:02d}", f"党员{n:02d}", "nb-1", "2026-Q3", Tally(committed=1, fulfilled=1, on_time=1),
                      RULES) for n in range(1, 13)]
    text = bulletin.text("和美家园", "2026-Q3", reviews)
    assert "和美家园2026年第三季度党员践诺情况通报" in text and "\n十、党员10：" in text and "\n十二、党员12：" in text
    assert "本季度无限期整改。" in text


def test_a_name_a_spreadsheet_would_run_is_kept_as_text_in_the_csv():
    rows = bulletin.table("=HYPERLINK(1)", "2026-Q1", [review("m-1", "@林", "nb-1", "2026-Q1", Tally(), RULES)])
    assert "'=HYPERLINK(1)" in rows and ",'@林," in rows
