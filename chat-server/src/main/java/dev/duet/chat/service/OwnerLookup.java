package dev.duet.chat.service;

import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import dev.duet.ring.RingMembership;

/** Whether this chat server owns a couple in its current ring view. */
public final class OwnerLookup {
    private final RingMembership ring;
    private final String selfId;

    public OwnerLookup(RingMembership ring, String selfId) {
        this.ring = ring;
        this.selfId = selfId;
    }

    /**
     * The member that owns {@code coupleId} when it is not this server; null when it is, or when the ring is empty
     * (no view yet: serving is safe, since appends are guarded by the row).
     */
    public Member ownerElsewhere(String coupleId) {
        return ownerElsewhere(ring.ring(), coupleId);
    }

    public Member ownerElsewhere(HashRing view, String coupleId) {
        Member owner = view.ownerOf(coupleId);
        return owner == null || owner.id().equals(selfId) ? null : owner;
    }

    public long epoch() {
        return ring.epoch();
    }
}
