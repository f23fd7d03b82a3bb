package dev.duet.ring;

/**
 * Told of every new ring a {@link RingMembership} builds, on the membership's own thread, in epoch order. A chat
 * server walks its live couples and ends the streams of those whose owner is no longer itself; a presenter re-routes.
 * Implementations must be quick: a slow listener delays the next ring.
 */
@FunctionalInterface
public interface RingListener {
    void ringChanged(HashRing previous, HashRing current);
}
