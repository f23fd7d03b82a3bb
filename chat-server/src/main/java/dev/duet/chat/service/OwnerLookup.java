package dev.duet.chat.service;

import dev.duet.chat.store.OwnerClaim;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import dev.duet.ring.RingMembership;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Whether this chat server owns a couple, and the claim it makes on the couples it owns.
 *
 * <h3>The view</h3>
 * Ownership follows the ring as ZooKeeper has it, minus the members that presenters reported unreachable in their
 * {@code OPEN}s within the last {@code reportTtl} (10 s by default): a presenter that cannot reach a chat server routes its
 * couples to the next member clockwise at once, long before the dead server's ZooKeeper session expires, and this
 * server takes them over (fenced in the couple's row, so a second owner is safe). When the reports stop, the view is
 * the ring again; the couple's owner takes it back as soon as a session starts there.
 *
 * <p>While this server is registered, the view always includes it: a ring read without its znode (its ZooKeeper
 * session expired, and the znode is being created again) must not make it give up its couples.
 */
public final class OwnerLookup {
    private final RingMembership ring;
    private final String selfId;
    private final Supplier<Member> registered;
    private final long reportTtlNanos;
    private volatile Inclusion inclusion;
    private final Map<String, Long> unreachableUntil = new ConcurrentHashMap<>();
    private volatile Exclusion exclusion;

    /** The last view computed with members taken out, kept while its ring and exclusions stay the same. */
    private record Exclusion(HashRing base, Set<String> excluded, HashRing view) {
    }

    /** A ring read without this server, and the ring with it put back. */
    private record Inclusion(HashRing read, HashRing view) {
    }

    /** {@code registered}: this server's member while it is registered on the ring, null before and once draining. */
    public OwnerLookup(RingMembership ring, String selfId, Supplier<Member> registered, Duration reportTtl) {
        this.ring = ring;
        this.reportTtlNanos = reportTtl.toNanos();
        this.selfId = selfId;
        this.registered = registered;
    }

    /** {@code read}, ZooKeeper's ring, with this server in it while it is registered. */
    private HashRing withSelf(HashRing read) {
        Member self = registered.get();
        if (self == null || read.member(selfId).isPresent()) {
            return read;
        }
        Inclusion last = inclusion;
        if (last != null && last.read() == read) {
            return last.view();
        }
        List<Member> members = new ArrayList<>(read.members().values());
        members.add(self);
        Inclusion next = new Inclusion(read, HashRing.of(read.epoch(), members, ring.virtualNodes()));
        inclusion = next;
        return next.view();
    }

    /** A presenter could not reach {@code memberIds}: route as if they were off the ring for a while. */
    void reportUnreachable(List<String> memberIds) {
        long until = System.nanoTime() + reportTtlNanos;
        for (String id : memberIds) {
            if (!id.equals(selfId)) {
                unreachableUntil.put(id, until);
            }
        }
    }

    /** The ring, minus the members recently reported unreachable. */
    HashRing view() {
        return view(ring.snapshot());
    }

    private HashRing view(RingMembership.Snapshot snapshot) {
        HashRing base = withSelf(snapshot.ring());
        if (unreachableUntil.isEmpty()) {
            return base;
        }
        long now = System.nanoTime();
        unreachableUntil.values().removeIf(until -> until - now < 0);
        Set<String> excluded = unreachableUntil.keySet().stream().filter(id -> base.member(id).isPresent())
                .collect(Collectors.toUnmodifiableSet());
        if (excluded.isEmpty()) {
            return base;
        }
        Exclusion last = exclusion;
        if (last != null && last.base() == base && last.excluded().equals(excluded)) {
            return last.view();
        }
        Exclusion next = new Exclusion(base, excluded, base.without(excluded));
        exclusion = next;
        return next.view();
    }

    /**
     * The member that owns {@code coupleId} when it is not this server; null when it is, or when the ring is empty
     * (no view yet: serving is safe, since appends are fenced in the row).
     */
    public Member ownerElsewhere(String coupleId) {
        Member owner = view().ownerOf(coupleId);
        return owner == null || owner.id().equals(selfId) ? null : owner;
    }

    /** Whether the current view holds a member other than this server: one a draining session can move to. */
    public boolean hasOtherMembers() {
        return view().members().keySet().stream().anyMatch(id -> !id.equals(selfId));
    }

    /** This server's claim on {@code coupleId} from the current view; null when the view gives it to another member. */
    OwnerClaim claimFor(String coupleId) {
        RingMembership.Snapshot snapshot = ring.snapshot();
        HashRing view = view(snapshot);
        Member owner = view.ownerOf(coupleId);
        return owner != null && !owner.id().equals(selfId) ? null
                : new OwnerClaim(snapshot.incarnation(), view.epoch(), 0, selfId);
    }

    /**
     * Whether {@code claim} is this server's, from the current ring: a claim it holds stays good for appends until
     * the row says otherwise, even after the unreachable report that led to a takeover has expired.
     */
    boolean isCurrent(OwnerClaim claim) {
        RingMembership.Snapshot snapshot = ring.snapshot();
        return claim.ownerId().equals(selfId) && claim.incarnation() == snapshot.incarnation()
                && claim.ringEpoch() == snapshot.ring().epoch();
    }

    /** The member named {@code id} in the current ring, or null. */
    Member member(String id) {
        return ring.ring().member(id).orElse(null);
    }

    public long epoch() {
        return ring.epoch();
    }

    /** Registered and not draining: taking new sessions. */
    boolean isServing() {
        return registered.get() != null;
    }
}
