package dev.duet.presenter;

import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import dev.duet.ring.RingMembership;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ring the presenter routes by: ZooKeeper's ring, plus the members {@link MuxPools} retains (off the ring but
 * still serving), minus the members it cannot reach — whose couples go to the next member clockwise, which takes
 * them over. Rebuilt only when one of those inputs changed.
 */
final class RoutingView {
    private final RingMembership ring;
    private final MuxPools pools;
    private final int virtualNodes;
    private volatile Snapshot last;

    /**
     * One view: {@code routing} to route by, {@code epoch} of ZooKeeper's ring it came from (for {@code OPEN}), and
     * the members left out because they are unreachable (named in {@code OPEN}, so the chat server may take over).
     */
    record Snapshot(HashRing base, long health, HashRing routing, List<String> unreachable) {
        long epoch() {
            return base.epoch();
        }
    }

    RoutingView(RingMembership ring, MuxPools pools, int virtualNodes) {
        this.ring = ring;
        this.pools = pools;
        this.virtualNodes = virtualNodes;
    }

    Snapshot current() {
        HashRing base = ring.ring();
        long health = pools.healthVersion();
        Snapshot cached = last;
        if (cached != null && cached.base() == base && cached.health() == health) {
            return cached;
        }
        Map<String, Member> members = new HashMap<>(base.members());
        for (Member retained : pools.retained()) {
            members.putIfAbsent(retained.id(), retained);
        }
        List<String> unreachable = new ArrayList<>();
        List<Member> reachable = new ArrayList<>();
        for (Member member : members.values()) {
            if (pools.isUnreachable(member.id())) {
                unreachable.add(member.id());
            } else {
                reachable.add(member);
            }
        }
        HashRing routing;
        if (reachable.isEmpty()) {
            // Nothing reachable: the presenter's own network may be at fault, so route by the ring as it is.
            routing = base;
            unreachable.clear();
        } else if (unreachable.isEmpty() && members.size() == base.members().size()) {
            routing = base;
        } else {
            routing = HashRing.of(base.epoch(), reachable, virtualNodes);
        }
        Snapshot next = new Snapshot(base, health, routing, List.copyOf(unreachable));
        last = next;
        return next;
    }
}
