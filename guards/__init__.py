"""Checks on untrusted input that the web process and the workers both apply.

Plain standard library: no Django, no torch, and nothing from `transcripts` or
`workers`, so that both sides can import it.

- netguard: addresses a URL may lead to (SSRF), checked again at connect time.
- media: what ffprobe/ffmpeg may open (one local file, ordinary demuxers) and
  what an uploaded or downloaded file holds, decided by its content.
"""
