package dev.duet.client;

/** Where a {@link DuetClient}'s session stands, as {@link ChatListener#stateChanged} reports it. */
public enum ConnectionState {
    /** The first connection and authentication are under way. */
    CONNECTING,
    /** Authenticated: calls go out, pushes come in. */
    CONNECTED,
    /** The connection was lost; the client is connecting again (sends wait and go out once it is back). */
    RECONNECTING,
    /** The token was refused: the client stopped. Get a new token. */
    AUTH_FAILED,
    /** {@link DuetClient#close()} was called. */
    CLOSED
}
