package dev.duet.protocol.auth;

/** A token did not verify; {@link #reason()} says why, for the log line and the metric tag. */
public final class TokenRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Not two base64url parts, too long, or claims that do not parse. */
        MALFORMED,
        /** Signed with a key id this verifier does not have (retired, or never issued by us). */
        UNKNOWN_KEY,
        /** The signature does not match: forged or altered. */
        BAD_SIGNATURE,
        /** Verified, but past its expiry. */
        EXPIRED
    }

    private final Reason reason;

    public TokenRejectedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * What a client (or a mux peer) is told: the kind of refusal, never the parser's details, which stay in this
     * server's log.
     */
    public String publicMessage() {
        return "token refused: " + reason.name().toLowerCase();
    }
}
