"""Every limit in one place; `docs/protocol.md` lists them and a test keeps both in step."""

from __future__ import annotations

IDEA_TEXT_MAX = 500  # characters, after cleaning
PSEUDONYM_MAX = 40
ROOM_TITLE_MAX = 120
PROMPT_TITLE_MAX = 200
IDEAS_PER_PARTICIPANT = 100
IDEAS_PER_ROOM = 5000
PARTICIPANTS_PER_ROOM = 2000
PROMPTS_PER_ROOM = 20
IDEAS_PER_GROUPING = 100  # ideas one grouping command may move at once
CLUSTER_TITLE_MAX = 120
ACTION_TITLE_MAX = 200
ACTION_TEXT_MAX = 2000  # an action's description
ACTION_PERSON_MAX = 120  # one owner or partner
ACTIONS_PER_ROOM = 200
ORGANISER_ATTEMPTS_PER_MINUTE = 10  # per client address, right or wrong: the passphrase cannot be guessed
WRONG_CODES_PER_MINUTE = 30  # per client address: short codes cannot be enumerated; right ones never count
WS_MESSAGE_MAX_BYTES = 64 * 1024
HELLO_TIMEOUT_SECONDS = 10.0  # a socket that does not say hello in time is closed
CATCH_UP_MAX_EVENTS = 500  # further behind than this, a client gets a fresh snapshot
SEND_TIMEOUT_SECONDS = 20.0  # a socket that takes longer to accept one frame is closed (1013)
OUTBOX_MAX_FRAMES = 2000  # a socket this far behind is closed and must resync
PARTICIPANT_TOKEN_MAX_AGE = 60 * 60 * 24 * 90  # seconds
FACILITATOR_TOKEN_MAX_AGE = 60 * 60 * 24 * 365
# Floods (docs/securite.md). Commands, resyncs and "done" share one bucket per participant
# and room (all their tabs): a burst at once, then a steady rate. A person types three
# ideas and pauses; a script does not.
COMMAND_BURST = 40
COMMANDS_PER_SECOND = 2.0
FRAME_BURST = 20  # other frames (ping, malformed), per socket
FRAMES_PER_SECOND = 2.0
CLOSE_TIMEOUT_SECONDS = 2.0  # a socket whose close frame cannot leave in this time is dropped
# The server's own websocket pings (uvicorn): a phone that lost its signal sends no FIN, and
# until its socket is cut it counts as present. 15 s + 15 s: gone within 30 s.
WS_PING_INTERVAL_SECONDS = 15.0
WS_PING_TIMEOUT_SECONDS = 15.0
SOCKETS_PER_PARTICIPANT = 8  # simultaneous sockets of one person in one room (tabs, phone, projector)
PURGE_INTERVAL_SECONDS = 3600.0  # how often the server erases workshops past retention (and once at start)
