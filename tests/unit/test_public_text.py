"""A named concern's description as the public reads it (services/intake/public_text.py): what
places it finer than its building or names a person's contact is masked; the rest reads as written."""
import pytest

from services.intake.public import redacted
from services.intake.public_text import MASK, masked
from tests.unit.test_public_view import _concern


@pytest.mark.parametrize(("written", "shown"), [
    ("2号楼101室楼上漏水", f"2号楼{MASK}楼上漏水"),
    ("3栋502天天吵", f"3栋{MASK}天天吵"),
    ("2号楼101装修", f"2号楼{MASK}装修"),
    ("1201房的空调滴水", f"{MASK}的空调滴水"),
    ("一单元302室养狗", f"{MASK}养狗"),
    ("2-1-101的狗", f"{MASK}的狗"),
    ("住在三楼", f"住在{MASK}"),
    ("12层电梯坏了", f"{MASK}电梯坏了"),
    ("电话13812345678", f"电话{MASK}"),
    ("请打138 1234 5678", f"请打{MASK}"),
    ("请联系0595-12345678", f"请联系{MASK}"),
    ("身份证35052119900101123X", f"身份证{MASK}"),
    ("Room 101 is noisy", f"{MASK} is noisy"),
    ("noise from the 3rd floor", f"noise from the {MASK}"),
    # The forms people write in Fujian and elsewhere: #, 梯, a dash, rooms in words, 3F.
    ("2#楼502漏水", f"{MASK}漏水"),
    ("3#502", MASK),
    ("2号楼1梯101", f"2号楼{MASK}"),
    ("2栋-101", f"2栋{MASK}"),
    ("1-101的空调", f"{MASK}的空调"),
    ("一零一室", MASK),
    ("三〇二室的狗", f"{MASK}的狗"),
    ("3F的住户", f"{MASK}的住户"),
    ("(0595)22345678", MASK),
    ("0595 2234 5678", MASK),
    ("Flat 3B", MASK),
    ("3-2-2001漏水", f"{MASK}漏水"),
    ("住在12-1-1902", f"住在{MASK}"),
    ("A座1201", f"A座{MASK}"),
    ("B座302的狗", f"B座{MASK}的狗"),
])
def test_rooms_units_floors_phones_and_identity_numbers_are_masked(written, shown):
    assert masked(written) == shown


@pytest.mark.parametrize("written", [
    "3户居民反映路灯坏了", "2号楼门口堆满杂物", "楼上装修太吵", "2023年5月以来", "两个月了还没修", "110报警也没用",
    "3号楼和5号楼之间的路灯",
    # Ordinary words that hold 一 and 楼, counts after a building, prices, dates, English words.
    "统一楼道管理", "同一楼层", "每一层都有", "唯一楼梯", "楼道堆满杂物", "3栋2023年加装了电梯", "3号楼100多户居民",
    "讲座50人参加", "每月1500房租", "2020房价", "5/12/2024停水", "50-1000元", "flat roof", "the floor is wet",
    "roommate", "united", "unit price"])
def test_counts_dates_and_buildings_read_as_written(written):
    assert masked(written) == written


def test_a_named_concerns_public_description_is_masked_and_an_anonymous_one_is_hidden():
    assert redacted(_concern(description="2号楼101室楼上漏水")).description == f"2号楼{MASK}楼上漏水"
    assert redacted(_concern(description="2号楼101室楼上漏水", anonymous=True)).description == ""
