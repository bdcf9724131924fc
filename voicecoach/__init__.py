"""voicecoach: an offline, hands-free, voice-guided practice coach.

Layers, inner to outer (each imports only inner ones; tests/test_layers.py checks):
routine <- coach <- speech | voice | tui <- shell <- cli + commands. Infrastructure
here at the root (`errors`, `locations`, `config`, `session_log`, `wavfile`) may be
imported by any layer and imports only itself. CONTRIBUTING.md has the rules.
"""

__version__ = "0.1.0"
