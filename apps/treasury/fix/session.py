"""FIX 4.4 session settings shared by the LP simulator (acceptor) and QENEX (initiator).

The session layer (logon, heartbeats, sequence numbers, ResendRequest, SequenceReset-GapFill, the file message
store) is fixcore-engine's; this module only builds its settings and messages.
"""

from __future__ import annotations

from fixcore.message.message import Message
from fixcore.session.session_settings import SessionSettings

BEGIN_STRING = "FIX.4.4"
LP_COMP_ID = "QENEXLP"
QENEX_COMP_ID = "QENEX"


def session_settings(
    *, role: str, host: str, port: int, store_dir: str, heartbeat_seconds: int = 5, reconnect_seconds: int = 1
) -> SessionSettings:
    """Settings for one session. ``role`` is ``acceptor`` (the LP) or ``initiator`` (QENEX)."""
    sender, target = (LP_COMP_ID, QENEX_COMP_ID) if role == "acceptor" else (QENEX_COMP_ID, LP_COMP_ID)
    connection = (
        f"SocketAcceptHost={host}\nSocketAcceptPort={port}\n"
        if role == "acceptor"
        else f"SocketConnectHost={host}\nSocketConnectPort={port}\nReconnectInterval={reconnect_seconds}\n"
    )
    return SessionSettings.from_string(
        "[DEFAULT]\n"
        f"ConnectionType={role}\n"
        f"FileStorePath={store_dir}\n"
        f"HeartBtInt={heartbeat_seconds}\n"
        "StartTime=00:00:00\nEndTime=00:00:00\n"
        "UseDataDictionary=Y\nDataDictionary=FIX44.xml\nValidateIncomingMessage=N\n"
        f"{connection}"
        "[SESSION]\n"
        f"BeginString={BEGIN_STRING}\nSenderCompID={sender}\nTargetCompID={target}\n"
    )


def new_message(msg_type: str, fields: dict[int, object]) -> Message:
    message = Message()
    message.header.set(35, msg_type)
    for tag, value in fields.items():
        message.set_field(tag, str(value))
    return message
