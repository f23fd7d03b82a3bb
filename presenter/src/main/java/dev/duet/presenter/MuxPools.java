package dev.duet.presenter;

import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One {@link MuxPool} per chat server the presenter routes to.
 *
 * <h3>Members that leave the ring</h3>
 * A member whose znode went away while its mux connections still work and did not say {@code GOAWAY} is
 * <em>retained</em>: its ZooKeeper session expired (ZooKeeper trouble on its side), but it is up and serving, so
 * clients keep being routed to it. Once its pool stops serving (connections lost, sick, or going away) it is retired:
 * it takes no new streams and each connection closes when its last stream ends. A retired pool's meters go with it.
 *
 * <p>{@link #healthVersion()} changes whenever the routing this class feeds changes: a pool became (un)reachable, a
 * member was retained or retired.
 */
final class MuxPools {
    private final Map<String, MuxPool> pools = new ConcurrentHashMap<>();
    private final Bootstrap bootstrap;
    private final MuxSettings settings;
    private final int poolSize;
    private final MuxTimings timings;
    private final MuxTls tls;
    private final MeterRegistry registry;
    private final AtomicLong healthVersion = new AtomicLong();
    private final Supplier<HashRing> ring;
    private volatile boolean goingAway;

    /** {@code ring}: the ring as the presenter has it now (the same one it routes by). */
    MuxPools(Bootstrap bootstrap, MuxSettings settings, int poolSize, MuxTimings timings, MuxTls tls,
             MeterRegistry registry, Supplier<HashRing> ring) {
        this.ring = ring;
        this.bootstrap = bootstrap;
        this.settings = settings;
        this.poolSize = poolSize;
        this.timings = timings;
        this.tls = tls;
        this.registry = registry;
    }

    /** The pool for {@code member}, connecting it on first use (and again if the member's address changed). */
    MuxPool pool(Member member) {
        MuxPool current = pools.get(member.id());
        if (current != null && sameAddress(current.member(), member)) {
            return current;
        }
        MuxPool[] created = new MuxPool[1];
        MuxPool chosen = pools.compute(member.id(), (id, existing) -> {
            if (existing != null && sameAddress(existing.member(), member)) {
                return existing;
            }
            if (existing != null) {
                // Retired first: it removes its meters, which the new pool then registers afresh.
                existing.retire();
            }
            created[0] = new MuxPool(member, bootstrap, settings, poolSize, timings, tls, registry,
                    this::healthChanged);
            return created[0];
        });
        if (created[0] != null) {
            healthVersion.incrementAndGet();
        }
        return chosen;
    }

    private static boolean sameAddress(Member a, Member b) {
        return a.host().equals(b.host()) && a.muxPort() == b.muxPort();
    }

    /** The ring changed: connect to its new members ahead of their first client, retire what no longer serves. */
    void ringChanged(HashRing current) {
        for (Member member : current.members().values()) {
            pool(member);
        }
        retireDeparted();
    }

    private void healthChanged() {
        healthVersion.incrementAndGet();
        retireDeparted();
    }

    private void retireDeparted() {
        HashRing current = ring.get();
        pools.entrySet().removeIf(entry -> {
            MuxPool pool = entry.getValue();
            if (current.member(entry.getKey()).isEmpty() && !pool.isServing()) {
                pool.retire();
                healthVersion.incrementAndGet();
                return true;
            }
            return false;
        });
    }

    /** Members off the ring whose pools still serve (see the class comment). */
    List<Member> retained() {
        HashRing current = ring.get();
        List<Member> retained = new ArrayList<>();
        pools.forEach((id, pool) -> {
            if (current.member(id).isEmpty()) {
                retained.add(pool.member());
            }
        });
        return retained;
    }

    boolean isUnreachable(String memberId) {
        MuxPool pool = pools.get(memberId);
        return pool != null && pool.isUnreachable();
    }

    long healthVersion() {
        return healthVersion.get();
    }

    Map<String, MuxPool> pools() {
        return pools;
    }

    void goAway() {
        goingAway = true;
        pools.values().forEach(MuxPool::goAway);
    }

    /** Whether this presenter sent {@code GOAWAY}: it opens no more streams, resumed ones included. */
    boolean isGoingAway() {
        return goingAway;
    }

    void close() {
        pools.values().forEach(MuxPool::close);
        pools.clear();
    }
}
