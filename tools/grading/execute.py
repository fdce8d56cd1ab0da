"""nbgrader's Execute step, made tamper-proof: learner code in a sandbox, tests apart.

:class:`GradeInSandbox` replaces nbgrader's ``Execute`` preprocessor in the
course's ``nbgrader_config.py``, so every grading path uses it: ``make grade``,
``python -m tools.instructor grade``, plain ``nbgrader autograde`` and the
formgrader's autograde button. For each submission it

1. runs the learner's notebook in a kernel inside the OS sandbox
   (:mod:`tools.grading.sandbox`), with every test cell replaced by an export
   cell (:mod:`tools.grading.plan`) and the self-check left out;
2. keeps the learner's own outputs on the learner's cells;
3. judges every test cell on the exported answers, here, in the grading process
   (:mod:`tools.grading.judge`), and writes the outcome as the test cell's output,
   which nbgrader's ``SaveAutoGrades`` then scores;
4. writes ``verdicts.json`` (what each learner answered, for ``make report``)
   beside the autograded notebook.

A kernel that dies, a cell that never ends or an output flood costs the
learner the answers not yet exported, never the grading run.
"""

from __future__ import annotations

import copy
import json
import pathlib

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from tools.grading import judge, plan, transport

__all__ = ["GradeInSandbox"]

_TRANSPORT = str(pathlib.Path(transport.__file__).resolve())


class GradeInSandbox(Execute):
    """Execute a submission in the sandbox; judge its tests on exported data."""

    sandbox = Bool(True, help=(
        "Run the learner's code in the OS sandbox. Only an instructor's explicit "
        "--unsafe-no-sandbox turns this off, and the grades then say so.")
    ).tag(config=True)

    max_output_bytes = Integer(1 << 20, help=(
        "Output a learner's cell may produce; the rest is dropped while the cell "
        "runs, so a flood cannot fill the grader's memory.")).tag(config=True)

    max_export_bytes = Integer(8 << 20, help=(
        "Answer data one export cell may send (tensors are capped at half of "
        "this inside the sandbox).")).tag(config=True)

    startup_retries = Integer(1, help=(
        "Times to start a fresh sandbox when the kernel fails before the first "
        "cell runs (no learner code has run yet, so it is never the learner's "
        "doing: a busy machine, a transient failure).")).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        info = resources.get("nbgrader", {})
        exports = plan.plan(nb.cells, info.get("assignment", ""))
        starts = 0
        for attempt in range(1 + max(0, self.startup_retries)):
            program, session, note = self._run(nb, resources, exports, km)
            starts += 1
            if not note or self._current is not None or km is not None:
                break
            self.log.warning("%s/%s: the kernel failed before the first cell (%s)%s",
                             info.get("student"), info.get("assignment"), note,
                             "; starting a fresh sandbox"
                             if attempt < self.startup_retries else "")
        died = self._current if note else None
        judged = self._merge(nb, program, exports, note, died)
        record = {"version": 1, "assignment": info.get("assignment"),
                  "student": info.get("student"), "sandboxed": bool(session),
                  "status": "graded", "reason": note, "kernel_starts": starts,
                  "cells": judge.as_json(judged)}
        outputs = resources.setdefault("outputs", {})
        outputs["verdicts.json"] = (json.dumps(record, indent=1) + "\n").encode()
        return nb, resources

    def _run(self, nb, resources, exports, km):
        """One run of the export program; returns it, its session and what ended it."""
        program = copy.deepcopy(nb)
        session = self._session(resources) if km is None else None
        transport_path = session.transport_path if session else _TRANSPORT
        self._export_cells = set()
        for index, cell in enumerate(program.cells):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in exports:
                self._export_cells.add(index)
                cell.source = plan.export_cell(exports[grade_id], transport_path)
            elif grade_id == "self_check":
                cell.source = ""
        self._output_bytes: dict[int, int] = {}
        self._current: int | None = None
        note = ""
        try:
            super().preprocess(program, resources,
                               km=session.kernel_manager() if session else km)
        except Exception as error:  # nbclient: DeadKernelError, startup failures
            note = _why(error)
        finally:
            # nbclient shuts down only kernels whose manager it made itself: stop
            # this one, which frees its sandbox (processes, scratch, uid slot)
            if getattr(self, "km", None) is not None:
                try:
                    self._cleanup_kernel()
                except Exception as error:  # a kernel that is already gone
                    self.log.debug("kernel clean-up: %s", error)
            if session is not None:
                note = session.close() or note
        return program, session, note

    def _session(self, resources):
        from tools.grading.session import SandboxSession

        if not self.sandbox:
            return None
        path = resources.get("metadata", {}).get("path") or "."
        return SandboxSession(pathlib.Path(path), timeout=self.timeout)

    def preprocess_cell(self, cell, resources, index):
        self._current = index  # the cell a dying kernel was running
        return super().preprocess_cell(cell, resources, index)

    def output(self, outs, msg, display_id, cell_index):
        """Keep a cell's outputs under ``max_output_bytes``; drop the flood."""
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._output_bytes.get(cell_index, 0) + size
        self._output_bytes[cell_index] = used
        cap = (self.max_export_bytes if cell_index in self._export_cells
               else self.max_output_bytes)
        if used > cap:
            if used - size <= cap:
                outs.append(NotebookNode(output_type="stream", name="stdout", text=(
                    f"\n[output cut: more than {cap >> 10} KiB]\n")))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _merge(self, nb, program, exports, note, died) -> list[judge.Judged]:
        """Learner outputs back onto the notebook; test cells judged."""
        judged = []
        for index, (cell, ran) in enumerate(zip(nb.cells, program.cells,
                                                strict=True)):
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            payloads = [o.data[transport.MIME] for o in ran.get("outputs", [])
                        if o.get("output_type") == "display_data"
                        and isinstance(o.get("data", {}).get(transport.MIME), dict)]
            if grade_id in exports:
                why = _timeout_or(ran, note)
                spec = exports[grade_id]
                result = judge.judge_cell(cell, payloads[-1] if payloads else None,
                                          why, spec.question, spec.part)
                cell.outputs = [result.output] if result.output else []
                cell.execution_count = ran.get("execution_count")
                judged.append(result)
            else:
                cell.outputs = [o for o in ran.get("outputs", [])
                                if transport.MIME not in o.get("data", {})]
                cell.execution_count = ran.get("execution_count")
                if index == died:
                    cell.outputs.append(judge.error_output(
                        "DeadKernelError", f"this cell stopped the notebook: {note}"))
                elif cell.execution_count is None and note and cell.source.strip():
                    cell.outputs = [judge.error_output("NotRun", (
                        f"not run: {note}"))]
        return judged


def _timeout_or(cell, note: str) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error" and "Timeout" in out.get("ename", ""):
            return "it did not finish in time (a loop that never ends?)"
    if cell.get("execution_count") is None:
        return note or "the notebook stopped before reaching it"
    return ""


def _why(error: Exception) -> str:
    name = type(error).__name__
    if "DeadKernel" in name:
        return "the kernel died (os._exit, a crash, or a resource limit)"
    return f"the notebook could not be run ({name}: {str(error)[:160]})"
