"""The bulletin (通报) of a neighbourhood's quarterly reviews, for its owners' group: plain zh-CN text
and CSV. Members are named as the directory knows them; nothing of any resident appears (the
reviews hold counts only). No I/O here."""
from __future__ import annotations

import csv
import io
from datetime import date

from servicekit.text import spreadsheet_cell
from services.evaluation.contract import GRADES
from services.evaluation.reviews.domain import FULFILMENT, ON_TIME, REWORK, SATISFACTION, Review, Shortfall

GRADE_WORDS = dict(zip(GRADES, ("优秀", "合格", "基本合格", "不合格", "无承诺，不评定"), strict=True))
_CRITERIA = {FULFILMENT: "践诺率", ON_TIME: "按时践诺率", SATISFACTION: "群众满意率"}
CSV_HEADER = ("季度", "小区", "党员", "承诺", "践诺", "按时践诺", "未完成", "转交他人", "满意", "基本满意", "不满意",
              "返工轮次", "入户走访", "参加群议", "评定", "整改期限")


def quarter_words(quarter: str) -> str:
    """"2026-Q1" as people say it: 2026年第一季度."""
    return f"{quarter[:4]}年第{numeral(int(quarter[-1]))}季度"


def day_words(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _percent(bar: float | int) -> str:
    return f"{format(float(bar) * 100, 'g')}%"


def shortfall_words(shortfall: Shortfall) -> str:
    if shortfall.criterion == REWORK:
        return f"返工超过{shortfall.bar}轮"
    return f"{_CRITERIA[shortfall.criterion]}低于{_percent(shortfall.bar)}"


_DIGITS = "零一二三四五六七八九"
_PLACES = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))


def numeral(number: int) -> str:
    """A whole number from 1 in Chinese numerals, as people write it: 十, 十一, 二十, 一百, 一百零一,
    一百一十, 一千零一十, 一万零五; beyond 9999, counted in 万 and 亿."""
    if number < 1:
        raise ValueError(number)
    return _words(number, leading=True)


def _words(number: int, *, leading: bool) -> str:
    for unit, word in ((10**8, "亿"), (10**4, "万")):
        if number >= unit:
            high, low = divmod(number, unit)
            rest = "" if not low else ("零" if low < unit // 10 else "") + _words(low, leading=False)
            return _words(high, leading=leading) + word + rest
    return _below(number, leading=leading)


def _below(number: int, *, leading: bool) -> str:
    """1 to 9999: each place's digit and its word, one 零 for each run of zeros between digits; a
    number from 10 to 19 standing first says 十, not 一十."""
    text, gap = "", False
    for unit, word in _PLACES:
        digit = number // unit % 10
        if not digit:
            gap = bool(text)
            continue
        if gap:
            text += "零"
            gap = False
        text += ("" if unit == 10 and digit == 1 and leading and not text else _DIGITS[digit]) + word
    return text


def _ordinal(index: int) -> str:
    """一、二、... 十、十一、... 一百、一百零一、 (the way a 通报 numbers its items)."""
    return numeral(index)


def ordered(reviews: list[Review]) -> list[Review]:
    """Best grade first, then by name (and id, where two share one)."""
    return sorted(reviews, key=lambda r: (GRADES.index(r.grade), r.member_name, r.member_id))


def _line(review: Review) -> str:
    tally = review.tally
    facts = (f"承诺{tally.committed}件，践诺{tally.fulfilled}件（按时{tally.on_time}件）"
             + (f"，未完成{tally.open}件" if tally.open else "")
             + (f"，转交他人{tally.released}件" if tally.released else "")
             + f"；群众评价满意{tally.satisfied}件、基本满意{tally.basically_satisfied}件、不满意{tally.unsatisfied}件；"
             f"返工{tally.rework_rounds}轮；入户走访{tally.door_visits}次；参加群议{tally.panels}次。")
    verdict = f"评定：{GRADE_WORDS[review.grade]}"
    if review.shortfalls:
        verdict += f"（{'、'.join(shortfall_words(s) for s in review.shortfalls)}）"
    if review.rectify_by is not None:
        verdict += f"，请于{day_words(review.rectify_by)}前完成整改"
    return f"{review.member_name}：{facts}{verdict}。"


def text(neighbourhood_name: str, quarter: str, reviews: list[Review]) -> str:
    """The bulletin as plain text, one paragraph per member, ending with who must rectify by when."""
    listed = ordered(reviews)
    counts = "，".join(f"{GRADE_WORDS[grade].split('，')[0]}{sum(r.grade == grade for r in listed)}名" for grade in GRADES)
    lines = [f"{neighbourhood_name}{quarter_words(quarter)}党员践诺情况通报", "",
             f"本季度参评党员{len(listed)}名：{counts}。", ""]
    lines += [f"{_ordinal(index)}、{_line(review)}" for index, review in enumerate(listed, start=1)]
    rectifying = [r for r in listed if r.rectify_by is not None]
    lines.append("")
    if rectifying:
        lines.append("限期整改：" + "；".join(f"{r.member_name}（{day_words(r.rectify_by)}前）" for r in rectifying
                                            if r.rectify_by is not None) + "。")
    else:
        lines.append("本季度无限期整改。")
    lines += ["", f"{neighbourhood_name}党组织"]
    return "\n".join(lines) + "\n"


def table(neighbourhood_name: str, quarter: str, reviews: list[Review]) -> str:
    """The bulletin as CSV (UTF-8, a header row, one row per member, CRLF line ends as RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for review in ordered(reviews):
        tally = review.tally
        writer.writerow((quarter, spreadsheet_cell(neighbourhood_name), spreadsheet_cell(review.member_name),
                         tally.committed, tally.fulfilled, tally.on_time, tally.open, tally.released,
                         tally.satisfied, tally.basically_satisfied, tally.unsatisfied, tally.rework_rounds,
                         tally.door_visits, tally.panels,
                         GRADE_WORDS[review.grade], review.rectify_by.isoformat() if review.rectify_by else ""))
    return out.getvalue()
