"""The arbiter actor kernel: actors, refs, mailboxes, supervision, timers, events.

Knows nothing of Ethereum or the web; usable and tested on its own.
"""

from runtime._actor import Actor as Actor
from runtime._clock import Clock as Clock
from runtime._clock import LoopClock as LoopClock
from runtime._clock import ManualClock as ManualClock
from runtime._context import ActorContext as ActorContext
from runtime._deferred import Deferred as Deferred
from runtime._events import EventStream as EventStream
from runtime._exceptions import ActorDead as ActorDead
from runtime._exceptions import ActorError as ActorError
from runtime._exceptions import ActorNameTaken as ActorNameTaken
from runtime._exceptions import ArbiterError as ArbiterError
from runtime._exceptions import AskTimeout as AskTimeout
from runtime._exceptions import ChainError as ChainError
from runtime._exceptions import ConfigError as ConfigError
from runtime._exceptions import Escalated as Escalated
from runtime._exceptions import InvalidActor as InvalidActor
from runtime._exceptions import MailboxFull as MailboxFull
from runtime._exceptions import MessageDropped as MessageDropped
from runtime._exceptions import NoHandler as NoHandler
from runtime._exceptions import Rejected as Rejected
from runtime._mailbox import MailboxConfig as MailboxConfig
from runtime._mailbox import OverflowPolicy as OverflowPolicy
from runtime._pipes import Pipe as Pipe
from runtime._ref import DEFAULT_ASK_TIMEOUT as DEFAULT_ASK_TIMEOUT
from runtime._ref import ActorRef as ActorRef
from runtime._signals import DeadLetter as DeadLetter
from runtime._signals import Terminated as Terminated
from runtime._supervision import Backoff as Backoff
from runtime._supervision import ChildSpec as ChildSpec
from runtime._supervision import RestartType as RestartType
from runtime._supervision import Strategy as Strategy
from runtime._supervision import SupervisorPolicy as SupervisorPolicy
from runtime._supervisor import Supervisor as Supervisor
from runtime._system import ActorSystem as ActorSystem
from runtime._timers import Timer as Timer

__all__ = [
    "DEFAULT_ASK_TIMEOUT",
    "Actor",
    "ActorContext",
    "ActorDead",
    "ActorError",
    "ActorNameTaken",
    "ActorRef",
    "ActorSystem",
    "ArbiterError",
    "AskTimeout",
    "Backoff",
    "ChainError",
    "ChildSpec",
    "Clock",
    "ConfigError",
    "DeadLetter",
    "Deferred",
    "Escalated",
    "EventStream",
    "InvalidActor",
    "LoopClock",
    "MailboxConfig",
    "MailboxFull",
    "ManualClock",
    "MessageDropped",
    "NoHandler",
    "OverflowPolicy",
    "Pipe",
    "Rejected",
    "RestartType",
    "Strategy",
    "Supervisor",
    "SupervisorPolicy",
    "Terminated",
    "Timer",
]
