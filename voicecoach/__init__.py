"""voicecoach: an offline, hands-free, voice-guided practice coach."""

__version__ = "0.1.0"
