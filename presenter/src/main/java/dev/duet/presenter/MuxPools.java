package dev.duet.presenter;

import dev.duet.protocol.mux.MuxSettings;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link MuxPool} per chat server on the ring; a member leaving the ring closes its pool, which removes the pool's
 * meters, so a presenter's meters name only the chat servers it knows now.
 */
final class MuxPools {
    private final Map<String, MuxPool> pools = new ConcurrentHashMap<>();
    private final Bootstrap bootstrap;
    private final MuxSettings settings;
    private final int poolSize;
    private final MeterRegistry registry;

    MuxPools(Bootstrap bootstrap, MuxSettings settings, int poolSize, MeterRegistry registry) {
        this.bootstrap = bootstrap;
        this.settings = settings;
        this.poolSize = poolSize;
        this.registry = registry;
    }

    /** The pool for {@code member}, connecting it on first use (and again if the member's address changed). */
    MuxPool pool(Member member) {
        return pools.compute(member.id(), (id, pool) -> {
            if (pool != null && pool.member().host().equals(member.host())
                    && pool.member().muxPort() == member.muxPort()) {
                return pool;
            }
            if (pool != null) {
                pool.close();
            }
            return new MuxPool(member, bootstrap, settings, poolSize, registry);
        });
    }

    /** Closes the pools of members no longer on {@code ring}: their clients are closed and reconnect. */
    void retainMembersOf(HashRing ring) {
        pools.entrySet().removeIf(entry -> {
            if (ring.member(entry.getKey()).isEmpty()) {
                entry.getValue().close();
                return true;
            }
            return false;
        });
    }

    Map<String, MuxPool> pools() {
        return pools;
    }

    void goAway() {
        pools.values().forEach(MuxPool::goAway);
    }

    void close() {
        pools.values().forEach(MuxPool::close);
        pools.clear();
    }
}
