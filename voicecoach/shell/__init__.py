"""The shell: everything with a thread, a clock or a device, wrapped around the pure coach.

`session` owns the coach state and performs its effects; `ears` listens (mic or WAV,
recognizer thread), `mouth` speaks; `wiring` builds those parts from `options.RunOptions`;
`plain` is the line-by-line front end. The command line (`voicecoach.cli`,
`voicecoach.commands`) fills the options and calls in here; nothing here imports a command.

Layer: shell. Imports speech, voice, tui, coach, routine and infrastructure; never
`voicecoach.cli` or `voicecoach.commands`, not even for types.
"""
