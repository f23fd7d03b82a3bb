package dev.duet.chat.service;

import dev.duet.chat.store.OwnerClaim;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import dev.duet.ring.RingMembership;

/** Whether this chat server owns a couple in its current ring view, and the claim it makes on the couples it owns. */
public final class OwnerLookup {
    private final RingMembership ring;
    private final String selfId;

    public OwnerLookup(RingMembership ring, String selfId) {
        this.ring = ring;
        this.selfId = selfId;
    }

    /**
     * The member that owns {@code coupleId} when it is not this server; null when it is, or when the ring is empty
     * (no view yet: serving is safe, since appends are fenced in the row).
     */
    public Member ownerElsewhere(String coupleId) {
        return ownerElsewhere(ring.ring(), coupleId);
    }

    public Member ownerElsewhere(HashRing view, String coupleId) {
        Member owner = view.ownerOf(coupleId);
        return owner == null || owner.id().equals(selfId) ? null : owner;
    }

    /** This server's claim on {@code coupleId} from the current view; null when the view gives it to another member. */
    OwnerClaim claimFor(String coupleId) {
        HashRing view = ring.ring();
        return ownerElsewhere(view, coupleId) != null ? null
                : new OwnerClaim(ring.incarnation(), view.epoch(), selfId);
    }

    /** The member named {@code id} in the current view, or null. */
    Member member(String id) {
        return ring.ring().member(id).orElse(null);
    }

    public long epoch() {
        return ring.epoch();
    }
}
