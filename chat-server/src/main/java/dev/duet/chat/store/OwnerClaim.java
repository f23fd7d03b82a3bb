package dev.duet.chat.store;

/**
 * A chat server's claim to own a couple: who, and from which ring view. {@code ringEpoch} orders two claims only when
 * both come from the same ring {@code incarnation} (see {@code RingMembership}); a claim from another incarnation
 * is older than any claim of the current one.
 */
public record OwnerClaim(long incarnation, long ringEpoch, String ownerId) {

    /** Whether this claim may take the couple over from {@code current}, the claim now stored in its row. */
    boolean supersedes(OwnerClaim current) {
        return current.incarnation != incarnation || current.ringEpoch < ringEpoch;
    }
}
