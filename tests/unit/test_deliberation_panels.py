"""The panel (群议): the one the service proposes, and the one the party secretary names."""
import itertools

import pytest

from servicekit.errors import InvalidArgument
from services.deliberation.panels.domain import Candidate, by_load, check_panel, check_size, propose


def member(member_id, kind="serving", load=0, name=None):
    return Candidate(member_id, name or f"name-{member_id}", kind, load)


def ids(candidates):
    return [candidate.member_id for candidate in candidates]


# -- the order of load -----------------------------------------------------------------------------

def test_members_are_ordered_by_fewest_recent_panels_then_name_then_id():
    members = [member("m1", load=2, name="王"), member("m2", load=0, name="李"), member("m3", load=0, name="张"),
               member("m4", load=0, name="李"), member("m0", load=1, name="赵")]
    # 张 (U+5F20) < 李 (U+674E) in code-point order; the two 李 are told apart by id.
    assert ids(by_load(members)) == ["m3", "m2", "m4", "m0", "m1"]


def test_the_order_of_load_does_not_depend_on_the_order_members_are_listed_in():
    members = [member("a", load=1, name="same"), member("b", load=1, name="same"), member("c", load=0, name="z")]
    orders = {tuple(ids(by_load(list(permutation)))) for permutation in itertools.permutations(members)}
    assert orders == {("c", "a", "b")}


# -- the proposal ----------------------------------------------------------------------------------

def test_a_proposal_mixes_the_kinds_before_taking_a_second_of_any_kind():
    candidates = [member("s1", "serving"), member("s2", "serving"), member("s3", "serving"),
                  member("r1", "retired_cadre"), member("r2", "retired_cadre"),
                  member("f1", "floating"), member("p1", "resident")]
    panel = propose(candidates, size=5)
    assert [c.member_kind for c in panel[:4]] == ["floating", "resident", "retired_cadre", "serving"]
    assert ids(panel) == ["f1", "p1", "r1", "s1", "r2"]


def test_within_a_kind_the_least_loaded_member_is_picked_first():
    candidates = [member("s-busy", "serving", load=4), member("s-free", "serving", load=0),
                  member("s-some", "serving", load=1), member("r-busy", "retired_cadre", load=3),
                  member("r-free", "retired_cadre", load=0), member("s-more", "serving", load=2)]
    # After one of each, the serving kind's next (load 1) goes before the retired cadres' next (load 3).
    assert ids(propose(candidates, size=5)) == ["r-free", "s-free", "s-some", "r-busy", "s-more"]


def test_a_kind_not_yet_picked_comes_before_a_less_loaded_member_of_a_kind_already_picked():
    # Kinds mix first: the only floating member sits although four serving members sat on fewer panels.
    candidates = [member(f"s{i}", "serving", load=0) for i in range(1, 6)] + [member("f1", "floating", load=9)]
    assert ids(propose(candidates, size=5)) == ["s1", "f1", "s2", "s3", "s4"]


def test_between_kinds_picked_equally_often_the_one_whose_next_member_is_least_loaded_goes_first():
    candidates = [member("a1", "serving", load=3), member("b1", "retired_cadre", load=1),
                  member("c1", "floating", load=2), member("a2", "serving", load=3),
                  member("b2", "retired_cadre", load=5), member("c2", "floating", load=4)]
    # Round one by the next member's load: b1 (1), c1 (2), a1 (3); round two: a2 (3), c2 (4).
    assert ids(propose(candidates, size=5)) == ["b1", "c1", "a1", "a2", "c2"]


def test_the_proposal_is_the_same_whatever_order_the_candidates_come_in():
    candidates = [member("s1", "serving", 1, "陈"), member("s2", "serving", 1, "陈"), member("r1", "retired_cadre", 0, "林"),
                  member("f1", "floating", 0, "林"), member("r2", "retired_cadre", 2, "黄"), member("s3", "serving", 0, "吴")]
    proposals = {tuple(ids(propose(list(order), size=5))) for order in itertools.permutations(candidates)}
    assert len(proposals) == 1


@pytest.mark.parametrize("size", [5, 7, 10])
def test_a_proposal_has_the_size_asked_for_with_nobody_twice(size):
    candidates = [member(f"m{i}", ("serving", "retired_cadre", "floating")[i % 3], load=i % 4) for i in range(12)]
    panel = propose(candidates, size=size)
    assert len(panel) == size
    assert len(set(ids(panel))) == size


def test_the_default_size_is_the_smallest_panel():
    candidates = [member(f"m{i}") for i in range(8)]
    assert ids(propose(candidates)) == ["m0", "m1", "m2", "m3", "m4"]


def test_with_fewer_candidates_than_the_size_every_candidate_is_proposed():
    candidates = [member("s1", "serving", 2), member("s2", "serving", 0), member("f1", "floating", 1)]
    assert ids(propose(candidates, size=5)) == ["s2", "f1", "s1"]
    assert propose([], size=5) == []


@pytest.mark.parametrize("size", [0, 4, 11, -5])
def test_a_proposal_outside_5_to_10_members_is_refused(size):
    with pytest.raises(InvalidArgument, match="a panel has 5 to 10 members"):
        propose([member(f"m{i}") for i in range(12)], size=size)


@pytest.mark.parametrize("size, allowed", [(4, False), (5, True), (10, True), (11, False)])
def test_a_panel_has_5_to_10_members(size, allowed):
    if allowed:
        assert check_size(size) is None
    else:
        with pytest.raises(InvalidArgument, match="a panel has 5 to 10 members"):
            check_size(size)


# -- the panel the party secretary names -----------------------------------------------------------

NEIGHBOURHOOD = {f"m{i}": member(f"m{i}", name=f"成员{i}") for i in range(1, 12)}


def test_a_named_panel_of_the_neighbourhoods_members_is_returned_in_the_order_named():
    named = ["m5", "m1", "m3", "m2", "m4"]
    assert check_panel(named, NEIGHBOURHOOD, {}) == [NEIGHBOURHOOD[m] for m in named]


@pytest.mark.parametrize("size", [5, 10])
def test_a_named_panel_of_5_or_10_members_is_accepted(size):
    named = [f"m{i}" for i in range(1, size + 1)]
    assert ids(check_panel(named, NEIGHBOURHOOD, {})) == named


@pytest.mark.parametrize("size", [0, 4, 11])
def test_a_named_panel_of_another_size_is_refused_with_its_size(size):
    with pytest.raises(InvalidArgument, match=f"a panel has 5 to 10 members, not {size}$"):
        check_panel([f"m{i}" for i in range(1, size + 1)], NEIGHBOURHOOD, {})


def test_a_member_named_twice_is_refused():
    with pytest.raises(InvalidArgument) as refused:
        check_panel(["m1", "m2", "m3", "m4", "m5", "m1"], NEIGHBOURHOOD, {})
    # Five different members: the size is right, only the repetition is wrong.
    assert refused.value.detail == "each member sits on the panel once, not twice: 成员1 (m1)"


def test_repetitions_do_not_make_up_the_size():
    with pytest.raises(InvalidArgument) as refused:
        check_panel(["m1", "m2", "m3", "m4", "m4"], NEIGHBOURHOOD, {})
    assert refused.value.detail == ("each member sits on the panel once, not twice: 成员4 (m4); "
                                    "a panel has 5 to 10 members, not 4")


def test_a_member_of_another_neighbourhood_is_named_as_such():
    elsewhere = {"x9": ("member", "外小区党员")}
    with pytest.raises(InvalidArgument) as refused:
        check_panel(["m1", "m2", "m3", "m4", "x9"], NEIGHBOURHOOD, elsewhere)
    assert refused.value.detail == "a member of another neighbourhood: 外小区党员 (x9)"


def test_a_non_member_is_named_as_such_by_name_when_the_directory_knows_them_and_by_id_when_not():
    elsewhere = {"v1": ("volunteer", "志愿者小周"), "h1": ("resident", "居民老郑")}
    with pytest.raises(InvalidArgument) as refused:
        check_panel(["m1", "m2", "m3", "v1", "nobody-7", "h1"], NEIGHBOURHOOD, elsewhere)
    assert refused.value.detail == "not a party member: 志愿者小周 (v1), nobody-7, 居民老郑 (h1)"


def test_an_unknown_id_is_cut_to_64_characters_in_the_refusal():
    long_id = "z" * 200
    with pytest.raises(InvalidArgument) as refused:
        check_panel(["m1", "m2", "m3", "m4", long_id], NEIGHBOURHOOD, {})
    assert refused.value.detail == "not a party member: " + "z" * 64


def test_every_problem_with_a_named_panel_is_reported_at_once():
    elsewhere = {"x1": ("member", "外甲"), "x2": ("member", "外乙"), "v1": ("volunteer", "志愿者")}
    with pytest.raises(InvalidArgument) as refused:
        check_panel(["m1", "x1", "x1", "v1", "x2", "ghost"], NEIGHBOURHOOD, elsewhere)
    # Five different people are named, so the size is right; everything else is wrong.
    assert refused.value.detail.split("; ") == [
        "each member sits on the panel once, not twice: 外甲 (x1)",
        "a member of another neighbourhood: 外甲 (x1), 外乙 (x2)",
        "not a party member: 志愿者 (v1), ghost",
    ]


def test_a_named_panel_with_too_many_strangers_names_them_and_its_size():
    elsewhere = {"x1": ("member", "外甲")}
    with pytest.raises(InvalidArgument) as refused:
        check_panel(["m1", "x1", "ghost"], NEIGHBOURHOOD, elsewhere)
    assert refused.value.detail.split("; ") == [
        "a panel has 5 to 10 members, not 3",
        "a member of another neighbourhood: 外甲 (x1)",
        "not a party member: ghost",
    ]
