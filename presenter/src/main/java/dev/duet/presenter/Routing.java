package dev.duet.presenter;

import dev.duet.protocol.auth.TokenVerifier;
import dev.duet.ring.RingMembership;

/**
 * What every {@link FirstPacketRouter} shares: token checks, the ring and the view routed by, the mux pools, the
 * limits, the meters.
 */
record Routing(TokenVerifier verifier, RingMembership ring, RoutingView view, MuxPools pools, PresenterConfig config,
               PresenterMetrics metrics) {
}
