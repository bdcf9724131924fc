"""The commands behind `voicecoach.cli`: one module per command group.

Layer: cli + commands, the outermost ring. A command may import any layer
(it parses flags, fills `shell.options.RunOptions`, calls in); nothing but
`voicecoach.cli` imports a command.
"""
