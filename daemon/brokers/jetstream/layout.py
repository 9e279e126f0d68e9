"""Where the jetstream backend keeps each queue: stream, subject and consumer names, and headers.

    <P>_TRANSCRIPTS, <P>_RESULTS   work queues: <p>.work.<queue>.<name>, one durable pull consumer
                                   each (named after the queue); a task leaves when it is settled
    <P>_DONE                       finished tasks, <p>.done.<queue>.<name>: the newest copy of each
                                   name, kept RETENTION_DAYS (max_age), the replay source
    <P>_DEAD                       dead letters, <p>.dead.<queue>.<name>, the reason in headers
    <P>_DEFERRED                   tasks waiting for a due time, <p>.deferred.<queue>.<name>
    <p>.bell.<queue>               core NATS only (no stream): "something was published", so an
                                   idle consumer wakes at once instead of at its next poll

<P> is NATS_STREAM_PREFIX (CALLPIPE), <p> the same in lower case. A subject token cannot hold a
dot, so a task name's dots are written as `=` (a character task names never use) and read back.
"""

from __future__ import annotations

from dataclasses import dataclass

from daemon.broker import QueueName

CONSUMED = (QueueName.TRANSCRIPTS, QueueName.RESULTS)  # queues with a work stream and a consumer
QUEUES = (*CONSUMED, QueueName.INTAKE)  # INTAKE: dead letters only

# Headers callpipe writes. The envelope and the reason travel here, never in the body.
NAME = "Callpipe-Name"
TIME = "Callpipe-Time"  # when it entered this state, by the writer's clock (epoch seconds)
ENVELOPE = "Callpipe-Envelope"
DUE = "Callpipe-Due"
REASON = "Callpipe-Reason"
FILE = "Callpipe-File"
CALL_ID = "Callpipe-Call-Id"
ORIGIN = "Callpipe-Origin"  # a file that came in through the folder door: its identity
MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"


def token(name: str) -> str:
    return name.replace(".", "=")


def name_of(subject: str) -> str:
    return subject.rsplit(".", 1)[-1].replace("=", ".")


@dataclass(frozen=True)
class Layout:
    prefix: str  # NATS_STREAM_PREFIX

    @property
    def root(self) -> str:
        return self.prefix.lower()

    # -- streams -----------------------------------------------------------------------------

    def work_stream(self, queue: str) -> str:
        return f"{self.prefix}_{queue.upper()}"

    @property
    def done_stream(self) -> str:
        return f"{self.prefix}_DONE"

    @property
    def dead_stream(self) -> str:
        return f"{self.prefix}_DEAD"

    @property
    def deferred_stream(self) -> str:
        return f"{self.prefix}_DEFERRED"

    def streams(self) -> list[str]:
        return [*(self.work_stream(q) for q in CONSUMED), self.done_stream, self.dead_stream, self.deferred_stream]

    # -- subjects ----------------------------------------------------------------------------

    def work(self, queue: str, name: str = "*") -> str:
        return f"{self.root}.work.{queue}.{name if name == '*' else token(name)}"

    def done(self, queue: str, name: str = "*") -> str:
        return f"{self.root}.done.{queue}.{name if name == '*' else token(name)}"

    def dead(self, queue: str, name: str = "*") -> str:
        return f"{self.root}.dead.{queue}.{name if name == '*' else token(name)}"

    def deferred(self, queue: str, name: str = "*") -> str:
        return f"{self.root}.deferred.{queue}.{name if name == '*' else token(name)}"

    def bell(self, queue: str) -> str:
        return f"{self.root}.bell.{queue}"

    # -- consumers ---------------------------------------------------------------------------

    @staticmethod
    def consumer(queue: str) -> str:
        return str(queue)

    def pull_subject(self, queue: str) -> str:
        return f"$JS.API.CONSUMER.MSG.NEXT.{self.work_stream(queue)}.{self.consumer(queue)}"


def check_queue(queue: str, *, consumed: bool = False) -> str:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")
    if consumed and queue not in CONSUMED:
        raise ValueError(f"{queue} holds dead letters only: nothing is published to it")
    return str(queue)
