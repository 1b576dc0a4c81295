"""The unified social credit code (GB 32100-2015): check character and the refusals create_organisation gives."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from trading.accounts.models import Organisation, OrgKind
from trading.accounts.services import create_organisation
from trading.accounts.uscc import CHARSET, WEIGHTS, USCCError, check_character, make_uscc, validate_uscc
from trading.errors import InvalidInput

REAL = "91350100M000100Y43"  # the example code published with GB 32100-2015


def test_weights_are_powers_of_three_mod_31():
    assert list(WEIGHTS) == [pow(3, i, 31) for i in range(17)]


def test_charset_has_31_characters_without_i_o_s_v_z():
    assert len(CHARSET) == 31 == len(set(CHARSET))
    assert not set("IOSVZ") & set(CHARSET)


def test_known_real_code_is_valid():
    assert check_character(REAL[:17]) == "3"
    assert validate_uscc(REAL) == REAL


def test_normalised():
    assert validate_uscc(f"  {REAL.lower()} ") == REAL


@pytest.mark.parametrize("first17", ["91330100MA0000001", "12100000400000624D"[:17], "520000004000000011"[:17],
                                     "Y1110000MA00000000"[:17]])
def test_make_uscc_roundtrip(first17):
    code = make_uscc(first17)
    assert len(code) == 18 and validate_uscc(code) == code


@pytest.mark.parametrize("wrong", sorted(set(CHARSET) - {"3"}))
def test_wrong_check_character(wrong):
    with pytest.raises(USCCError) as exc:
        validate_uscc(REAL[:17] + wrong)
    assert exc.value.rule == "check"


def test_single_character_typo_is_caught():
    # the check character detects any single substitution in the body
    for i in range(17):
        for ch in ("0", "A"):
            if REAL[i] == ch:
                continue
            typo = REAL[:i] + ch + REAL[i + 1:]
            with pytest.raises(USCCError):
                validate_uscc(typo)


@pytest.mark.parametrize("code", ["", REAL[:17], REAL + "0", REAL[:10], "9" * 30])
def test_wrong_length(code):
    with pytest.raises(USCCError) as exc:
        validate_uscc(code)
    assert exc.value.rule == "length"


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters(letter):
    code = REAL[:9] + letter + REAL[10:]
    with pytest.raises(USCCError) as exc:
        validate_uscc(code)
    assert exc.value.rule == "charset"
    assert letter in str(exc.value)


@pytest.mark.parametrize("junk", ["-", " x", "中", "*"])
def test_other_characters(junk):
    code = (REAL[:8] + junk + REAL[8:])[:18]
    with pytest.raises(USCCError) as exc:
        validate_uscc(code)
    assert exc.value.rule in ("charset", "length")


@pytest.mark.parametrize("division", ["35010A", "A50100", "3501Y0", "MA0000"])
def test_non_digit_division_code(division):
    first17 = REAL[:2] + division + REAL[8:17]
    code = make_uscc(first17)  # even with a matching check character
    with pytest.raises(USCCError) as exc:
        validate_uscc(code)
    assert exc.value.rule == "division"


@pytest.mark.parametrize("first", list("0HJKLMPQRTUWX"))
def test_unknown_registration_authority(first):
    code = make_uscc(first + REAL[1:17])
    with pytest.raises(USCCError) as exc:
        validate_uscc(code)
    assert exc.value.rule == "authority"


# --- create_organisation -----------------------------------------------------------------------------

def test_create_organisation_with_real_code(db):
    org = create_organisation("Fuzhou example", OrgKind.BIDDER, REAL.lower())
    db.session.commit()
    assert db.session.get(Organisation, org.id).credit_code == REAL


@pytest.mark.parametrize("code", [None, "", REAL[:17] + "4", REAL[:17], REAL[:9] + "I" + REAL[10:],
                                  make_uscc(REAL[:2] + "A50100" + REAL[8:17])])
@pytest.mark.parametrize("kind", [OrgKind.BIDDER, OrgKind.TENDERER])
def test_create_organisation_refuses_bad_code(db, code, kind):
    with pytest.raises(InvalidInput) as exc:
        create_organisation("Bad code Ltd.", kind, code)
    assert exc.value.status == 422
    assert exc.value.field == "credit_code"
    assert list(exc.value.errors) == ["credit_code"]
    assert exc.value.to_dict()["errors"]["credit_code"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_create_organisation_reports_name_and_code_together(db):
    with pytest.raises(InvalidInput) as exc:
        create_organisation("  ", OrgKind.BIDDER, "123")
    assert set(exc.value.errors) == {"name", "credit_code"}


def test_bodies_without_credit_code_need_none_but_a_given_one_is_checked(db):
    org = create_organisation("Supervising bureau", OrgKind.SUPERVISORY_BODY, None)
    assert org.credit_code is None
    with pytest.raises(InvalidInput) as exc:
        create_organisation("Another bureau", OrgKind.SUPERVISORY_BODY, REAL[:17] + "4")
    assert exc.value.field == "credit_code"


def test_messages_differ_by_rule(db):
    messages = set()
    for code in (REAL[:17], REAL[:9] + "I" + REAL[10:], make_uscc("H" + REAL[1:17]),
                 make_uscc(REAL[:2] + "A50100" + REAL[8:17]), REAL[:17] + "4"):
        with pytest.raises(InvalidInput) as exc:
            create_organisation("X", OrgKind.BIDDER, code)
        messages.add(exc.value.errors["credit_code"][0])
    assert len(messages) == 5


def test_duplicate_credit_code_is_invalid_input(db):
    create_organisation("First", OrgKind.BIDDER, REAL)
    db.session.commit()
    with pytest.raises(InvalidInput) as exc:
        create_organisation("Second", OrgKind.BIDDER, REAL)
    assert exc.value.field == "credit_code"
