package dev.duet.chat.store;

/**
 * A chat server's claim to own a couple: who, from which ring view, and its takeover generation within that view.
 * Claims are ordered by {@code ringEpoch}, then {@code generation}, but only between claims of the same ring
 * {@code incarnation} (see {@code RingMembership}); a claim from another incarnation is older than any claim of the
 * current one. Generation 0 is the ring's own owner; a takeover within one view (the owner unreachable, or back)
 * claims one generation above the stored claim.
 */
public record OwnerClaim(long incarnation, long ringEpoch, long generation, String ownerId) {

    /** Whether this claim may take the couple over from {@code current}, the claim now stored in its row. */
    boolean supersedes(OwnerClaim current) {
        if (current.incarnation != incarnation) {
            return true;
        }
        return current.ringEpoch < ringEpoch || current.ringEpoch == ringEpoch && current.generation < generation;
    }

    /** Whether {@code other} is a claim of the same server from the same ring view, whatever its generation. */
    public boolean sameViewAs(OwnerClaim other) {
        return other != null && other.incarnation == incarnation && other.ringEpoch == ringEpoch
                && other.ownerId.equals(ownerId);
    }

    /** This claim one generation above {@code current}: a takeover within the view both were made from. */
    OwnerClaim over(OwnerClaim current) {
        return new OwnerClaim(incarnation, ringEpoch, current.generation + 1, ownerId);
    }
}
