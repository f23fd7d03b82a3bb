package dev.duet.chat.store;

/**
 * The couple's row is fenced by another owner's claim: this server must not append for it, and must acknowledge
 * nothing it did not store before. {@code current} is the claim in the row, null when the row has none.
 */
public final class OwnershipLostException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient OwnerClaim current;

    public OwnershipLostException(String coupleId, OwnerClaim current) {
        super("couple " + coupleId + (current == null ? " belongs to another member in this server's view"
                : " is claimed by " + current.ownerId() + " (ring epoch " + current.ringEpoch() + ")"), null, false,
                false);
        this.current = current;
    }

    public OwnerClaim current() {
        return current;
    }
}
