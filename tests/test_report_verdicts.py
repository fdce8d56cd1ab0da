"""The verdicts.json reader: the contract's example reads, every break is named."""

from __future__ import annotations

import copy
import json

import pytest

from tools.report.verdicts import VerdictsError, load_all, read_verdicts, verdicts_path

GOOD = {
    "version": 1, "assignment": "01_data_types", "student": "alice",
    "sandboxed": True, "status": "graded", "reason": "",
    "cells": {"test_uint8_bits_33": {
        "question": "uint8_bits", "part": "33", "points": 0.0, "max_points": 1.0,
        "outcome": "wrong", "answer": "00100011", "answer_text": "00100011",
        "mistake": "place_value_slip",
        "message": "this byte is 35: check which place values you added"}},
}


def _write(tmp_path, data, student="alice", assignment="01_data_types"):
    path = verdicts_path(tmp_path, student, assignment)
    path.parent.mkdir(parents=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_the_contract_example_reads(tmp_path):
    v = read_verdicts(_write(tmp_path, GOOD), "alice", "01_data_types")
    cell = v.cells["test_uint8_bits_33"]
    assert (v.status, v.sandboxed, cell.question, cell.part, cell.outcome,
            cell.answer, cell.mistake, cell.points) == (
        "graded", True, "uint8_bits", "33", "wrong", "00100011",
        "place_value_slip", 0.0)
    assert list(load_all(tmp_path, [("alice", "01_data_types"),
                                    ("bob", "01_data_types")])) == [
        ("alice", "01_data_types")]


def _cell(**change):
    data = copy.deepcopy(GOOD)
    data["cells"]["test_uint8_bits_33"].update(change)
    return data


def _top(**change):
    data = copy.deepcopy(GOOD)
    data.update(change)
    return data


def _without(key):
    data = copy.deepcopy(GOOD)
    del data["cells"]["test_uint8_bits_33"][key]
    return data


BAD = [
    ("{not json", "not a readable JSON file"),
    ("[1, 2]", "expected a JSON object, got list"),
    (_top(version="1"), "version is '1'; this reader knows version 1"),
    (_top(version=True), "version is True"),
    (_top(student=""), "student should be a non-empty string"),
    (_top(sandboxed="yes"), "sandboxed should be true or false"),
    (_top(status="done"), "status should be one of"),
    (_top(reason=None), "reason should be a string"),
    (_top(cells=[]), "cells should be an object of grade ids"),
    (_cell(outcome="partly"), r"cells\['test_uint8_bits_33'\]: outcome should be"),
    (_cell(points=2.0), "points 2.0 should be between 0 and max_points 1.0"),
    (_cell(points="1"), "points should be a finite number"),
    (_cell(max_points=float("nan")), "max_points should be a finite number"),
    (_cell(part=33), "part should be a string or null"),
    (_cell(question=""), "question should be a non-empty string"),
    (_without("answer"), "answer is missing"),
    (_cell(outcome="blank", mistake=None), "outcome 'blank' should have answer null"),
    (_cell(outcome="right", answer="00100001"), "only a wrong answer can match"),
    (_cell(mistake=""), "mistake should be a mistake id or null"),
    (_cell(answer_text=35), "answer_text should be a string"),
    (_cell(message=None), "message should be a string"),
]


@pytest.mark.parametrize(("data", "message"), BAD, ids=[m for _, m in BAD])
def test_a_malformed_file_is_refused_with_its_name_and_field(tmp_path, data,
                                                             message):
    path = _write(tmp_path, data)
    with pytest.raises(VerdictsError, match=message) as caught:
        read_verdicts(path)
    assert str(path) in str(caught.value)


def test_a_file_in_another_learners_folder_is_refused(tmp_path):
    _write(tmp_path, GOOD, student="bob")
    with pytest.raises(VerdictsError, match="student is 'alice' but the file is in "
                       "the folder of student 'bob'"):
        load_all(tmp_path, [("bob", "01_data_types")])


def test_an_ungradable_submission_and_unknown_keys(tmp_path):
    data = _top(status="error", reason="the kernel died", cells={}, extra="later")
    v = read_verdicts(_write(tmp_path, data))
    assert (v.status, v.reason, v.cells) == ("error", "the kernel died", {})
