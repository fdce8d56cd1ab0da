"""nbgrader's default exchange, with submissions private and collect owner-checked.

nbgrader 0.9.6's exchange (``nbgrader.exchange.default``) on one shared folder:

- ``<root>`` must be writable by everyone (``ensure_root`` wants ``0777``);
- ``<course>/outbound`` ``0755``, released files ``0644``: anyone can read them;
- ``<course>/inbound`` ``2733``: anyone can add, nobody but the owner can list;
  a submission ``<student>+<assignment>+<timestamp>+<random>`` is left ``0777``
  with files ``0644``, so it is hidden only by its unguessable name, and anyone
  may create a folder named after *another* student: ``collect`` merely warns
  ("cheating attempt?") and takes the newest one;
- ``<course>/feedback`` ``0711``: files ``<hash>.html``, ``0644``, named by a
  hash of a 64-byte secret that is stored in the submission.

The hub pre-creates ``<root>`` with the sticky bit and ``inbound`` as ``3733``
(setgid and sticky): nobody can rename or delete another's entry. The classes
here close the other gaps, configured through ``ExchangeFactory``: a submission
is readable by its author and the grader's group only, collect takes only
submissions owned by the student named, and a feedback file is readable by its
student's own group only (the grader account is a member of each student's
private group, set up by the hub).
"""

from __future__ import annotations

import glob
import os
import pwd
import stat

from nbgrader.exchange.default import (
    ExchangeCollect,
    ExchangeReleaseFeedback,
    ExchangeSubmit,
)
from nbgrader.utils import notebook_hash

#: a submission's folders: author and grader's group; files: author rw, group r
DIR_MODE = 0o770
FILE_MODE = 0o640


def owner_name(path: str) -> str | None:
    """The login name of the owner of ``path`` (None if the uid has no name).

    >>> owner_name("/") == pwd.getpwuid(0).pw_name
    True
    """
    try:
        return pwd.getpwuid(os.lstat(path).st_uid).pw_name
    except KeyError:
        return None


def make_private(folder: str, dir_mode: int = DIR_MODE,
                 file_mode: int = FILE_MODE) -> None:
    """Give ``folder`` and everything in it ``dir_mode`` / ``file_mode``."""
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            os.chmod(os.path.join(dirpath, name), file_mode)
        os.chmod(dirpath, dir_mode)


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, then the submission closed to everyone but the grader.

    The submission's group is the inbound folder's (setgid), i.e. the grader's;
    if it is not, nbgrader's modes are kept so the grader can still collect.
    """

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        if os.stat(dest).st_gid != os.stat(self.inbound_path).st_gid:
            self.log.warning("Submission kept world-readable: %s does not take the "
                             "inbound folder's group", dest)
            return
        make_private(dest)
        self.log.info("Submission readable by you and the graders only: %s",
                      stat.filemode(os.stat(dest).st_mode))


class OwnerCheckedCollect(ExchangeCollect):
    """nbgrader's collect, taking only submissions owned by the student named.

    A folder ``student1+...`` created by anyone else is left out, with an error
    in the log, before nbgrader picks each student's newest submission.
    """

    def init_src(self):
        super().init_src()
        student_id = self.coursedir.student_id or "*"
        pattern = os.path.join(
            self.inbound_path, f"{student_id}+{self.coursedir.assignment_id}+*")
        records = []
        for path in glob.glob(pattern):
            record = self._path_to_record(path)
            owner = owner_name(path)
            if owner != record["username"]:
                self.log.error("Not collected: %s is owned by %s, not by %s",
                               path, owner, record["username"])
                continue
            records.append(record)
        self.src_records = self._newest(records)

    def _newest(self, records: list[dict]) -> list[dict]:
        """Each student's newest record (before the due date, if asked to)."""
        by_user: dict[str, list[dict]] = {}
        for record in records:
            by_user.setdefault(record["username"], []).append(record)
        chosen = []
        for user_records in by_user.values():
            ordered = self._sort_by_timestamp(user_records)
            if self.duedate is not None and self.before_duedate:
                early = [r for r in ordered if r["timestamp"] <= self.duedate]
                ordered = early or ordered
            chosen.append(ordered[0])
        return chosen


class PrivateReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback, each file then readable by its student only.

    The file keeps nbgrader's unguessable name and gets the student's own group
    and mode ``0640``. If the grader cannot give it that group, it stays as
    nbgrader left it (``0644``), with a warning.
    """

    def copy_files(self):
        super().copy_files()
        pattern = os.path.join(self.src_path, "*.html")
        for html in glob.glob(pattern):
            folder = os.path.dirname(html)
            student = os.path.basename(os.path.dirname(folder))
            notebook_id = os.path.splitext(os.path.basename(html))[0]
            secret_file = os.path.join(folder, "submission_secret.txt")
            if not os.path.isfile(secret_file):
                continue
            with open(secret_file) as fh:
                checksum = notebook_hash(secret=fh.read(), notebook_id=notebook_id)
            dest = os.path.join(self.dest_path, f"{checksum}.html")
            if not os.path.isfile(dest):
                continue
            try:
                os.chown(dest, -1, pwd.getpwnam(student).pw_gid)
            except (KeyError, PermissionError) as err:
                self.log.warning("Feedback %s kept readable by all: %s", dest, err)
                continue
            os.chmod(dest, FILE_MODE)
