"""The API for programs: per-user Bearer tokens, an async jobs API under
/api/transcriptions, OpenAI's /v1/audio/transcriptions and whisper-asr-webservice's
/asr shapes, and signed webhooks. Same accounts, queue and storage as the pages."""
