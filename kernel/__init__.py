"""What every layer shares, below them all: errors a client is shown, global ids, moments and
time zones, settings and security primitives, and the request context's protocol. It imports
no module of Agora's own outside itself."""
