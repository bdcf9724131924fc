"""Child process for the crash test: record events as fast as possible, say each one.

Prints the number of events whose `record()` has returned, one per line, flushed;
the parent SIGKILLs it mid-stream and checks the database against the last number.
"""

import sys

from voicecoach.routine.models import Routine, Step
from voicecoach.session_log import SessionLog

log = SessionLog.open(sys.argv[1])
recorder = log.start_session(Routine(name="squat", steps=(Step(id="a", title="A", cue="c"),)),
                             "pocketsphinx")
print("started", flush=True)
i = 0
while True:
    recorder.record({"kind": "heard", "text": f"utterance {i}", "engine": "pocketsphinx",
                     "confidence": 0.5, "outcome": "accepted", "i": i})
    i += 1
    print(i, flush=True)
