from .alerts import AlertGroup, AlertSource, GroupStatus, LabelRule, SourceKind
from .email import InboundMessage, Mailbox, MailboxKind, MessageOutcome, TlsMode, UnknownSenders

__all__ = [
    "AlertGroup", "AlertSource", "GroupStatus", "InboundMessage", "LabelRule", "Mailbox", "MailboxKind",
    "MessageOutcome", "SourceKind", "TlsMode", "UnknownSenders",
]
