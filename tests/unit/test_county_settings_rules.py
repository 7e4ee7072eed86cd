"""County settings' rules: which value decides where (triage's precedence included), what a value
and a qualifier may be, and who may write where. No database."""
from datetime import UTC, datetime
from typing import Annotated

import pytest
from pydantic import Field

from servicekit.auth import Principal
from servicekit.county_settings import Definition, StoredValue, effective, resolve
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied
from servicekit.settings_access import Whereabouts, check_writer, place_path, sees
from services.contract import SETTINGS_WRITERS, owner_of_setting
from services.intake.settings import DUPLICATES_WINDOW_DAYS, TRIAGE_ROUTE, TriageRoute

PATH = ("county", "township", "community", "nb")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WINDOW = DUPLICATES_WINDOW_DAYS


def stored(definition, scope_id, value, qualifier=""):
    return StoredValue(f"{scope_id}/{qualifier}", definition.key, scope_id, qualifier, value, "", 1, T0, "test")


def route(scope_id, qualifier, to):
    return stored(TRIAGE_ROUTE, scope_id, TriageRoute(route=to), qualifier)


# -- which value decides ------------------------------------------------------------------------

def test_without_a_value_anywhere_the_default_applies():
    assert resolve(WINDOW, [], PATH) is None
    assert effective(WINDOW, [], PATH) == 30


def test_the_most_specific_place_on_the_path_wins():
    values = [stored(WINDOW, "*", 60), stored(WINDOW, "township", 45), stored(WINDOW, "nb", 7)]
    assert effective(WINDOW, values, PATH) == 7
    assert effective(WINDOW, values[:2], PATH) == 45
    assert effective(WINDOW, values[:2], ("county", "other-township", "c", "n")) == 60, "not on its path"
    assert effective(WINDOW, values, ()) == 60, "the whole deployment sees only its own value"


def test_triage_naming_the_category_beats_any_category_even_from_a_wider_place():
    values = [route("*", "urgent_child_care", "direct"), route("nb", "*", "deliberation")]
    case = {"category": "urgent_child_care", "urgency": "normal"}
    assert resolve(TRIAGE_ROUTE, values, PATH, case).value.route == "direct"
    assert resolve(TRIAGE_ROUTE, values, PATH, {"category": "noise", "urgency": "normal"}).value.route == \
        "deliberation"


def test_triage_then_the_most_specific_place_then_a_rule_naming_the_urgency():
    values = [route("*", "safety", "direct"), route("community", "safety", "manual"),
              route("community", "safety/urgent", "deliberation")]
    assert resolve(TRIAGE_ROUTE, values, PATH, {"category": "safety", "urgency": "urgent"}).value.route == \
        "deliberation"
    assert resolve(TRIAGE_ROUTE, values, PATH, {"category": "safety", "urgency": "normal"}).value.route == "manual"
    assert resolve(TRIAGE_ROUTE, values[:1], PATH, {"category": "noise", "urgency": "normal"}) is None
    assert effective(TRIAGE_ROUTE, [], PATH, {"category": "noise", "urgency": "normal"}).route == "manual"


# -- what a value and a qualifier may be ---------------------------------------------------------

@pytest.mark.parametrize("text, problem", [
    ('"30"', "valid integer"), ("0", "greater than or equal to 1"), ("366", "less than or equal to 365"),
    ("true", "valid integer"), ("30.5", "valid integer"), ("", "value: Invalid JSON"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_problem(text, problem):
    with pytest.raises(InvalidArgument, match=problem):
        WINDOW.parse_json(text)


def test_a_value_is_kept_as_compact_json_and_read_back_alike():
    value = TRIAGE_ROUTE.parse_json('{"route": "direct", "note": "  急事急办 "}')
    assert TRIAGE_ROUTE.to_json(value) == '{"route":"direct","note":"急事急办"}'
    with pytest.raises(InvalidArgument, match=r"value\.route") as refused:
        TRIAGE_ROUTE.parse_json('{"route": "later", "colour": "red"}')
    assert "value.colour" in refused.value.detail


@pytest.mark.parametrize("text, canonical", [("noise", "noise"), ("noise/", "noise"), ("*/urgent", "*/urgent")])
def test_triage_qualifiers_have_one_canonical_form(text, canonical):
    assert TRIAGE_ROUTE.qualifier_of(text) == canonical


@pytest.mark.parametrize("definition, text, problem", [
    (TRIAGE_ROUTE, "", "needs one"), (TRIAGE_ROUTE, "noise/soon", "urgency"), (TRIAGE_ROUTE, "a/b/c", "category"),
    (WINDOW, "noise", "takes none"),
])
def test_a_qualifier_the_setting_does_not_take_is_refused(definition, text, problem):
    with pytest.raises(InvalidArgument, match=problem):
        definition.qualifier_of(text)


def test_a_definition_that_breaks_its_own_rules_fails_at_once():
    with pytest.raises(ValueError, match="key"):
        Definition(key="WindowDays", description="", type=int, default=1)
    with pytest.raises(ValueError, match="levels"):
        Definition(key="intake.x", description="", type=int, default=1, levels=("street",))
    with pytest.raises(InvalidArgument):
        Definition(key="intake.x", description="", type=Annotated[int, Field(ge=1)], default=0)


def test_a_settings_key_names_the_service_that_owns_it():
    assert owner_of_setting("intake.triage.route") == "intake"
    assert owner_of_setting("dispatch.deadlines.joint_days") == "dispatch"
    assert owner_of_setting("payroll.x") is None and owner_of_setting("intake") is None


# -- who may write where -------------------------------------------------------------------------

NB = Whereabouts("neighbourhood", PATH)
COMMUNITY = Whereabouts("community", PATH[:3])
OTHER_NB = Whereabouts("neighbourhood", ("county", "township", "community", "nb-2"))
FAR_NB = Whereabouts("neighbourhood", ("county", "township-2", "community-2", "nb-9"))


def who(role, scope=PATH):
    return Principal(subject=role, role=role, scope=scope)


def may(principal, scope_id, place, levels=TRIAGE_ROUTE.levels):
    check_writer(principal, SETTINGS_WRITERS, scope_id, place, levels, "intake.x")


@pytest.mark.parametrize("principal, scope_id, place", [
    (who("county_admin", PATH[:1]), "*", None),
    (who("county_admin", PATH[:1]), "nb", NB),
    (who("township_admin", PATH[:2]), "community", COMMUNITY),
    (who("community_admin", PATH[:3]), "nb", NB),
    (who("party_secretary"), "nb", NB),
    (None, "*", None),
])
def test_administrators_write_in_their_scope_and_a_secretary_in_their_neighbourhood(principal, scope_id, place):
    may(principal, scope_id, place)


@pytest.mark.parametrize("principal, scope_id, place, refusal, words", [
    (who("party_secretary"), "*", None, PermissionDenied, "only a county administrator"),
    (who("community_admin", PATH[:3]), "*", None, PermissionDenied, "only a county administrator"),
    (who("party_secretary"), "community", COMMUNITY, PermissionDenied, "above your scope"),
    (who("party_secretary"), "nb-2", OTHER_NB, NotFound, "in your scope"),
    (who("community_admin", PATH[:3]), "nb-9", FAR_NB, NotFound, "in your scope"),
    (who("county_admin", PATH[:1]), "ghost", None, NotFound, "in your scope"),
    (who("county_admin", PATH[:1]), "b-1", Whereabouts("building", (*PATH, "b-1")), NotFound, "in your scope"),
    (who("member"), "nb", NB, PermissionDenied, "a member may not set settings"),
    (who("party_secretary", PATH[:3]), "community", COMMUNITY, PermissionDenied, "may not set settings"),
])
def test_writing_above_ones_scope_is_forbidden_and_outside_it_not_found(principal, scope_id, place, refusal, words):
    with pytest.raises(refusal, match=words):
        may(principal, scope_id, place)


def test_a_setting_can_narrow_where_it_is_set():
    with pytest.raises(InvalidArgument, match="not for a neighbourhood"):
        may(who("party_secretary"), "nb", NB, levels=("*", "county"))
    with pytest.raises(InvalidArgument, match=r"not for everywhere \(\*\)"):
        may(who("county_admin", PATH[:1]), "*", None, levels=("county",))


def test_readers_see_values_on_their_path_but_list_only_places_in_their_scope():
    secretary = who("party_secretary")
    assert sees(secretary, "*", None) and sees(secretary, "community", COMMUNITY) and sees(secretary, "nb", NB)
    assert not sees(secretary, "nb-2", OTHER_NB)
    assert place_path(secretary, "nb", NB) == PATH and place_path(secretary, "*", None) == ()
    with pytest.raises(NotFound):
        place_path(secretary, "community", COMMUNITY)
